package redact

// sensitiveTerms make a normalised key sensitive wherever they occur in it:
// "db_password", "X-Auth-Token" and "OPENAI_API_KEY" all match.
var sensitiveTerms = []string{
	"password", "passwd", "passphrase", "pwd", "secret", "token", "apikey",
	"accesskey", "privatekey", "authorization", "cookie", "session",
	"signature", "credential", "bearer", "connectionstring", "sessid",
	"subscriptionkey", "accountkey",
}

// sensitiveName reports whether the normalised key n is sensitive only
// as a whole, because as part of a key it occurs in ordinary words
// ("author", "passage").
func sensitiveName(n []byte) bool {
	switch string(n) {
	case "auth", "pass", "pin", "dsn", "jwt", "sid", "otp", "cred", "creds", "sig":
		return true
	}
	return false
}

// allowedName reports whether the normalised key n is never sensitive by
// name: counts of language-model tokens and public halves of key pairs.
func allowedName(n []byte) bool {
	switch string(n) {
	case "tokens", "maxtokens", "inputtokens", "outputtokens", "totaltokens",
		"prompttokens", "completiontokens", "cachedtokens", "reasoningtokens",
		"maxoutputtokens", "maxcompletiontokens", "tokenizer", "publickey",
		"publickeyid", "sessionexpired":
		return true
	}
	return false
}

// allowedSuffixes make a key describe a secret instead of holding it:
// "token_count", "password_file", "session_timeout", "signature_algorithm".
var allowedSuffixes = []string{
	"count", "counts", "type", "kind", "usage", "limit", "length", "len",
	"size", "algorithm", "ttl", "expiry", "expiresat", "expiresin",
	"timeout", "url", "endpoint", "name", "file", "path", "policy",
}

// normalizeKey returns k in lower case without separators or punctuation.
func normalizeKey(k string) string {
	return string(appendNormalized(nil, k))
}

// appendNormalized appends the lower-case letters and digits of k to dst.
func appendNormalized(dst []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			dst = append(dst, c)
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		}
	}
	return dst
}

// SensitiveKey reports whether values stored under key are redacted whole
// by the Default Redactor.
func SensitiveKey(key string) bool { return defaultRedactor.SensitiveKey(key) }

// SensitiveKey reports whether values stored under key are redacted whole:
// the normalised key contains a sensitive term or one of
// Config.SensitiveKeys, and is not allowed by name or suffix.
func (r *Redactor) SensitiveKey(key string) bool {
	if len(key) == 0 || len(key) > 256 {
		return false
	}
	if len(r.sensitive) == 0 && !hasTermBigram(key) {
		return false
	}
	var buf [64]byte
	n := appendNormalized(buf[:0], key)
	if !containsTerm(n) && !r.containsExtra(n) {
		return sensitiveName(n)
	}
	if allowedName(n) || r.allow[string(n)] {
		return false
	}
	for _, s := range allowedSuffixes {
		if len(n) > len(s) && string(n[len(n)-len(s):]) == s {
			return false
		}
	}
	return true
}

func (r *Redactor) containsExtra(n []byte) bool {
	for _, t := range r.sensitive {
		for i := 0; i+len(t) <= len(n); i++ {
			if hasPrefix(n[i:], t) {
				return true
			}
		}
	}
	return false
}

// termBigrams has, for each first byte of a sensitive term or name, a bit
// set for each second letter, so that most keys are rejected in one pass
// over their bytes.
var termBigrams = func() (t [256]uint32) {
	for _, term := range append(wholeNames, sensitiveTerms...) {
		t[term[0]] |= 1 << (term[1] - 'a')
	}
	return t
}()

// wholeNames are the names sensitiveName matches, "creds" aside, which
// starts like "cred".
var wholeNames = []string{"auth", "pass", "pin", "dsn", "jwt", "sid", "otp", "cred", "sig"}

// termTrigrams has, for each pair of first letters of a sensitive term or
// name, a bit set for each third letter. Every term and name starts with
// three lower-case letters.
var termTrigrams = func() (t [26 * 26]uint32) {
	for _, term := range append(wholeNames, sensitiveTerms...) {
		t[int(term[0]-'a')*26+int(term[1]-'a')] |= 1 << (term[2] - 'a')
	}
	return t
}()

// isTrigram reports whether a, b and c, all normalised, start a sensitive
// term or name.
func isTrigram(a, b, c byte) bool {
	if a < 'a' || a > 'z' || b < 'a' || b > 'z' || c < 'a' || c > 'z' {
		return false
	}
	return termTrigrams[int(a-'a')*26+int(b-'a')]&(1<<(c-'a')) != 0
}

// isBigram reports whether a and b, both normalised, start a sensitive term
// or name. Every term starts with two lower-case letters.
func isBigram(a, b byte) bool {
	return b >= 'a' && b <= 'z' && termBigrams[a]&(1<<(b-'a')) != 0
}

// hasTermBigram reports whether the normalised form of key holds the first
// two bytes of a sensitive term or name, without normalising it.
func hasTermBigram(key string) bool {
	var prev byte
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		default:
			continue
		}
		if prev != 0 && isBigram(prev, c) {
			return true
		}
		prev = c
	}
	return false
}

// termsByFirst lists sensitiveTerms by their first byte.
var termsByFirst = func() (t [256][]string) {
	for _, term := range sensitiveTerms {
		t[term[0]] = append(t[term[0]], term)
	}
	return t
}()

// containsTerm reports whether n contains one of sensitiveTerms.
func containsTerm(n []byte) bool {
	for i := 0; i+1 < len(n); i++ {
		if !isBigram(n[i], n[i+1]) {
			continue
		}
		for _, t := range termsByFirst[n[i]] {
			if t[1] == n[i+1] && hasPrefix(n[i:], t) {
				return true
			}
		}
	}
	return false
}

// hasPrefix is bytes.HasPrefix for a string prefix, without converting.
func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}
