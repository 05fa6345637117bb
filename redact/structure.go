package redact

import "strings"

// maxKeyLen bounds how far back from a separator the key name is sought.
const maxKeyLen = 128

// headerKind is the way the value of a sensitive key is split.
type headerKind int

const (
	kindPlain     headerKind = iota
	kindScheme               // Authorization: keep the scheme word
	kindCookie               // Cookie: keep the cookie names
	kindSetCookie            // Set-Cookie: keep the name and the attributes
)

func keyKind(key string) headerKind {
	var buf [64]byte
	switch string(appendNormalized(buf[:0], key)) {
	case "authorization", "proxyauthorization":
		return kindScheme
	case "cookie":
		return kindCookie
	case "setcookie":
		return kindSetCookie
	}
	return kindPlain
}

// keyValue redacts the value after the '=' or ':' at s[i] when the key
// before it is sensitive. It covers "password=x", "token: x", JSON members
// ("secret": "x"), escaped JSON inside strings, DSN and query parameters,
// and header lines. It returns where scanning resumes, or i.
func (r *Redactor) keyValue(s string, i int, sp []span) ([]span, int) {
	if s[i] == ':' && strings.HasPrefix(s[i:], "://") {
		return sp, i
	}
	key, keyStart := keyBefore(s, i)
	if key == "" || strings.HasPrefix(key, "ERR-") || !r.SensitiveKey(key) {
		// An error code such as ERR-SessionExpired names a failure, not
		// a field that holds a secret.
		return sp, i
	}
	v := i + 1
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v >= len(s) || strings.HasPrefix(s[v:], "[REDACTED") {
		return sp, i
	}
	kind := keyKind(key)
	lineStart := s[i] == ':' && atLineStart(s, keyStart)
	if s[i] == ':' && v > i+1 && kind == kindPlain && isPrefixWord(s, key, keyStart) &&
		s[v] != '"' && s[v] != '\'' && s[v] != '{' && s[v] != '[' {
		// A lower-case word, a space and a sentence is how Go error
		// messages start ("session: grant expired"). Only a lone value or
		// a credential-like word is redacted, never the rest of the line.
		if proseAfterPrefix(s, v) {
			return sp, i
		}
		lineStart = false
	}

	switch {
	case s[v] == '"' || s[v] == '\'' || s[v] == '\\' && v+1 < len(s) && s[v+1] == '"':
		start, end := quotedAt(s, v)
		return appendSpan(sp, start, end, ruleKey), end
	case s[v] == '{' || s[v] == '[':
		end := balancedAt(s, v)
		return appendSpan(sp, v, end, ruleKey), end
	case kind == kindCookie || kind == kindSetCookie:
		end := lineEnd(s, v, true)
		return cookieSpans(s, v, end, kind == kindSetCookie, sp), end
	case kind == kindScheme:
		return schemeValue(s, v, lineStart, sp)
	case lineStart:
		end := lineEnd(s, v, false)
		return appendSpan(sp, v, end, ruleKey), end
	}
	end := valueEnd(s, v)
	return appendSpan(sp, v, end, ruleKey), end
}

// isPrefixWord reports whether key, which starts at s[keyStart], is bare
// (not quoted) and made of lower-case letters and digits, as the package
// name that prefixes a Go error message is.
func isPrefixWord(s, key string, keyStart int) bool {
	if end := keyStart + len(key); end < len(s) && (s[end] == '"' || s[end] == '\'') {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return key != ""
}

// proseAfterPrefix reports whether the text at s[v], after a prefix word
// and ": ", reads as a sentence. That is a first word that does not look
// like a credential and another word after it on the same line, or a lone
// word that states a condition ("invalid", "expired").
//
// NOTE: a password of ordinary words ("password: correct horse") reads as
// a sentence and is kept. Keys that are not a single lower-case word
// ("db_password: ...", "Password: ...") are not affected.
func proseAfterPrefix(s string, v int) bool {
	end := valueEnd(s, v)
	w := s[v:end]
	if credentialLike(w) {
		return false
	}
	j := end
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j > end && j < len(s) && classes[s[j]]&cWord != 0 {
		return true
	}
	return conditionWord(w)
}

// credentialLike reports whether the word w mixes letters and digits, is
// 20 bytes or longer without a '.', or holds a byte other than letters,
// digits, '.', '-', '_' and '/', as passwords and tokens do and the words
// and Go selectors (Config.ClockCheckInterval) of a sentence do not.
func credentialLike(w string) bool {
	if len(w) >= 20 && strings.IndexByte(w, '.') < 0 {
		return true
	}
	letter, digit := false, false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9':
			digit = true
		case c == '.' || c == '-' || c == '_' || c == '/':
		default:
			return true
		}
	}
	return letter && digit
}

// conditionWords state the condition of a credential in an error message
// and are never a credential themselves.
var conditionWords = []string{
	"invalid", "expired", "revoked", "missing", "required", "empty", "unset",
	"malformed", "unknown", "denied", "rejected", "forbidden", "unauthorized",
	"disabled", "incorrect", "wrong", "mismatch", "absent", "none", "null",
	"nil", "true", "false", "redacted", "truncated", "unsupported",
}

func conditionWord(w string) bool {
	for _, c := range conditionWords {
		if strings.EqualFold(w, c) {
			return true
		}
	}
	return false
}

func appendSpan(sp []span, start, end int, rule string) []span {
	if end > start {
		sp = append(sp, span{start, end, rule})
	}
	return sp
}

// keyBefore returns the key that ends just before the separator at s[i],
// quoted or bare, and where it starts.
func keyBefore(s string, i int) (string, int) {
	j := i
	for n := 0; n < 2 && j > 0 && s[j-1] == ' '; n++ {
		j--
	}
	if j == 0 {
		return "", 0
	}
	if q := s[j-1]; q == '"' || q == '\'' {
		lo := max(0, j-1-maxKeyLen)
		k := strings.LastIndexByte(s[lo:j-1], q)
		if k < 0 {
			return "", 0
		}
		start := lo + k + 1
		if strings.ContainsAny(s[start:j-1], "/?=&") {
			// A quoted URL or path is not a key. net/http errors
			// print one before ": ", as in Get "http://h/?token=x": EOF.
			return "", 0
		}
		return s[start : j-1], start
	}
	k := j
	for k > 0 && j-k < maxKeyLen && isKeyByte(s[k-1]) {
		k--
	}
	return s[k:j], k
}

func isKeyByte(c byte) bool {
	return classes[c]&cWord != 0 || c == '.'
}

// atLineStart reports whether only spaces precede s[i] on its line.
func atLineStart(s string, i int) bool {
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
		i--
	}
	return i == 0 || s[i-1] == '\n' || s[i-1] == '\r'
}

// lineEnd returns the end of the line from s[v]; with stopAtQuote it also
// stops at a quote, which ends a header quoted inside a message.
func lineEnd(s string, v int, stopAtQuote bool) int {
	for j := v; j < len(s); j++ {
		switch s[j] {
		case '\n', '\r':
			return j
		case '"', '\'', '`':
			if stopAtQuote {
				return j
			}
		}
	}
	return len(s)
}

// valueEnd returns the end of an unquoted value starting at s[v]. Space,
// control characters, quotes, '&' and ';' end it. ',', ':', ')', ']', '}'
// and '>' end it only when no word character follows, so a password
// holding one of them is not cut in two.
func valueEnd(s string, v int) int {
	for j := v; j < len(s); j++ {
		c := s[j]
		switch {
		case c <= ' ' || c == 0x7f, c == '"', c == '\'', c == '`', c == '&', c == ';', c == '<':
			return j
		case c == ',' || c == ':' || c == ')' || c == ']' || c == '}' || c == '>':
			if j+1 == len(s) || classes[s[j+1]]&cWord == 0 {
				return j
			}
		}
	}
	return len(s)
}

// quotedAt returns the inside of the string quoted at s[v], which opens
// with ", ' or \" (a quote escaped inside an outer JSON string). An
// unterminated string runs to the end of the line.
func quotedAt(s string, v int) (start, end int) {
	q := s[v : v+1]
	if s[v] == '\\' {
		q = s[v : v+2]
	}
	start = v + len(q)
	for j := start; j < len(s); j++ {
		switch {
		case s[j] == '\n' || s[j] == '\r':
			return start, j
		case strings.HasPrefix(s[j:], q):
			return start, j
		case s[j] == '\\' && len(q) == 1:
			j++
		}
	}
	return start, len(s)
}

// balancedAt returns the end of the JSON object or array at s[v], or the
// end of s when it is not closed.
func balancedAt(s string, v int) int {
	depth, inString := 0, false
	for j := v; j < len(s); j++ {
		c := s[j]
		switch {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// schemeValue redacts an Authorization value at s[v], keeping its scheme
// word ("Bearer", "Basic", "Token"). A header line loses the rest of the
// line; inline, the credential word after the scheme goes.
func schemeValue(s string, v int, line bool, sp []span) ([]span, int) {
	w := v
	for w < len(s) && w-v < 32 && isSchemeByte(s[w]) {
		w++
	}
	start := v
	if w > v && w < len(s) && s[w] == ' ' {
		start = w + 1
	}
	var end int
	if line {
		end = lineEnd(s, start, false)
	} else {
		end = valueEnd(s, start)
	}
	return appendSpan(sp, start, end, ruleHeader), end
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// cookieSpans redacts each cookie value in s[v:end] ("a=1; b=2"). For a
// Set-Cookie header only the first pair is a cookie; the attributes after
// it (Path, Expires, HttpOnly) stay.
func cookieSpans(s string, v, end int, set bool, sp []span) []span {
	for v < end {
		semi := strings.IndexByte(s[v:end], ';')
		pairEnd := end
		if semi >= 0 {
			pairEnd = v + semi
		}
		if eq := strings.IndexByte(s[v:pairEnd], '='); eq >= 0 {
			sp = appendSpan(sp, v+eq+1, pairEnd, ruleHeader)
		} else {
			sp = appendSpan(sp, v, pairEnd, ruleHeader)
		}
		if set || semi < 0 {
			break
		}
		v = pairEnd + 1
		for v < end && s[v] == ' ' {
			v++
		}
	}
	return sp
}

// userinfoAt finds URL user info ending at the '@' at s[i], as in
// scheme://user:password@host, and returns where the redacted part starts.
// That is the password, or a user name of 16 bytes or more standing alone,
// which is likely a token used as the user name. It also covers the Go
// MySQL DSN form user:password@tcp(host)/db. scheme is the index of the last "://" in
// the field that starts at field, or -1.
func userinfoAt(s string, i, field, scheme int) (int, bool) {
	start := scheme + 3
	if scheme < field {
		rest := s[i+1:]
		if !strings.HasPrefix(rest, "tcp(") && !strings.HasPrefix(rest, "unix(") {
			return 0, false
		}
		start = i
		for start > field && i-start < maxUserinfoLen && !isFieldEnd(s[start-1]) {
			start--
		}
	}
	info := s[start:i]
	if info == "" || len(info) > maxUserinfoLen || strings.ContainsAny(info, "/?#") ||
		strings.HasPrefix(info, "[REDACTED") {
		return 0, false
	}
	if c := strings.IndexByte(info, ':'); c >= 0 {
		return start + c + 1, c+1 < len(info)
	}
	return start, scheme >= field && len(info) >= 16
}

// maxUserinfoLen bounds the user info examined before an '@'.
const maxUserinfoLen = 512

func isFieldEnd(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' || c == '(' ||
		c == 0x7f
}

// pemAt returns the end of a PEM private-key block starting at s[i], or i.
// An unterminated block runs to the end of s.
func pemAt(s string, i int) int {
	const begin = "-----BEGIN "
	if !strings.HasPrefix(s[i:], begin) {
		return i
	}
	h := i + len(begin)
	close := strings.Index(s[h:min(len(s), h+64)], "-----")
	if close < 0 || !strings.Contains(s[h:h+close], "PRIVATE KEY") {
		return i
	}
	rest := h + close + 5
	e := strings.Index(s[rest:], "-----END ")
	if e < 0 {
		return len(s)
	}
	e += rest + len("-----END ")
	if c := strings.Index(s[e:min(len(s), e+64)], "-----"); c >= 0 {
		return e + c + 5
	}
	return len(s)
}
