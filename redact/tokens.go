package redact

// Character sets of token bodies.
const (
	setAlnum      = 1 << iota // A-Z a-z 0-9
	setUnderscore             // _
	setHyphen                 // -
	setUpperDigit             // A-Z 0-9 only
)

const setB64URL = setAlnum | setUnderscore | setHyphen

// tokenFormat is a credential format with a fixed prefix.
type tokenFormat struct {
	prefix string
	rule   string
	set    uint8
	min    int  // minimum body length after the prefix
	exact  bool // the body is exactly min bytes long
	mixed  bool // the body holds an upper-case letter or a digit
}

// tokenFormats lists the formats by the first byte of their prefix, longer
// prefixes first. Prefixes and alphabets follow the key formats the
// providers issue. A body is matched with its own alphabet, so any
// punctuation after a token ends it.
var tokenFormats = func() (t [256][]tokenFormat) {
	for _, f := range []tokenFormat{
		{prefix: "sk-ant-", rule: "anthropic", set: setB64URL, min: 20},
		{prefix: "sk-proj-", rule: "openai", set: setB64URL, min: 20},
		{prefix: "sk-svcacct-", rule: "openai", set: setB64URL, min: 20},
		{prefix: "sk-admin-", rule: "openai", set: setB64URL, min: 20},
		{prefix: "sk-", rule: "openai", set: setB64URL, min: 20, mixed: true},
		{prefix: "sk_live_", rule: "stripe", set: setAlnum, min: 16},
		{prefix: "sk_test_", rule: "stripe", set: setAlnum, min: 16},
		{prefix: "rk_live_", rule: "stripe", set: setAlnum, min: 16},
		{prefix: "rk_test_", rule: "stripe", set: setAlnum, min: 16},
		{prefix: "whsec_", rule: "stripe", set: setAlnum, min: 16},
		{prefix: "AIza", rule: "google", set: setB64URL, min: 35, exact: true},
		{prefix: "AKIA", rule: "aws", set: setUpperDigit, min: 16, exact: true},
		{prefix: "ASIA", rule: "aws", set: setUpperDigit, min: 16, exact: true},
		{prefix: "hf_", rule: "huggingface", set: setAlnum, min: 30},
		{prefix: "github_pat_", rule: "github", set: setAlnum | setUnderscore, min: 50},
		{prefix: "ghp_", rule: "github", set: setAlnum, min: 36},
		{prefix: "gho_", rule: "github", set: setAlnum, min: 36},
		{prefix: "ghu_", rule: "github", set: setAlnum, min: 36},
		{prefix: "ghs_", rule: "github", set: setAlnum, min: 36},
		{prefix: "ghr_", rule: "github", set: setAlnum, min: 36},
		{prefix: "glpat-", rule: "gitlab", set: setB64URL, min: 20},
		{prefix: "xoxb-", rule: "slack", set: setAlnum | setHyphen, min: 10},
		{prefix: "xoxp-", rule: "slack", set: setAlnum | setHyphen, min: 10},
		{prefix: "xoxa-", rule: "slack", set: setAlnum | setHyphen, min: 10},
		{prefix: "xoxr-", rule: "slack", set: setAlnum | setHyphen, min: 10},
		{prefix: "xoxs-", rule: "slack", set: setAlnum | setHyphen, min: 10},
		{prefix: "xoxe-", rule: "slack", set: setAlnum | setHyphen, min: 10},
		{prefix: "xapp-", rule: "slack", set: setAlnum | setHyphen, min: 10},
	} {
		t[f.prefix[0]] = append(t[f.prefix[0]], f)
	}
	return t
}()

func inSet(c byte, set uint8) bool {
	switch {
	case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return set&(setAlnum|setUpperDigit) != 0
	case 'a' <= c && c <= 'z':
		return set&setAlnum != 0
	case c == '_':
		return set&setUnderscore != 0
	case c == '-':
		return set&setHyphen != 0
	}
	return false
}

// wordAt matches the credential formats that start with a word at s[i]
// and returns the span to redact, or end == start when none matches.
func wordAt(s string, i int) (start, end int, rule string) {
	if i+1 < len(s) {
		formats := tokenFormats[s[i]]
		for k := range formats {
			f := &formats[k]
			if f.prefix[1] != s[i+1] {
				continue
			}
			if end := f.match(s, i); end > i {
				return i, end, f.rule
			}
		}
	}
	switch s[i] {
	case 'e':
		if end := jwtAt(s, i); end > i {
			return i, end, "jwt"
		}
	case 'b', 'B':
		return schemeAt(s, i)
	case 't', 'T':
		// Deepgram's Authorization scheme: "Token" and 40 hex digits.
		if hasFoldPrefix(s[i:], "token ") {
			if end := hexWordAt(s, i+6, 40); end > 0 {
				return i + 6, end, "deepgram"
			}
		}
	case 'd', 'D':
		if hasFoldPrefix(s[i:], "deepgram") {
			return deepgramNear(s, i+8)
		}
	}
	return i, i, ""
}

// match returns the end of the token of format f at s[i], or i.
func (f *tokenFormat) match(s string, i int) int {
	if len(s)-i < len(f.prefix)+f.min || s[i:i+len(f.prefix)] != f.prefix {
		return i
	}
	j := i + len(f.prefix)
	mixed := !f.mixed
	n := 0
	for j < len(s) {
		c := s[j]
		if !inSet(c, f.set) {
			// A zero width character pasted inside a token does not end
			// it, or the rest of the token would be left in the clear.
			size := zeroWidthAt(s, j)
			if size == 0 {
				break
			}
			j += size
			continue
		}
		mixed = mixed || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		j++
		n++
	}
	if n < f.min || f.exact && n != f.min || !mixed {
		return i
	}
	return j
}

// zeroWidthAt returns the length of the zero width character at s[j]
// (U+200B to U+200D, U+2060 or U+FEFF), or 0.
func zeroWidthAt(s string, j int) int {
	if len(s)-j < 3 {
		return 0
	}
	switch s[j : j+3] {
	case "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff":
		return 3
	}
	return 0
}

// jwtAt returns the end of a JSON Web Token at s[i]: three base64url
// segments joined by dots, the first starting with "eyJ" ({"), the last
// empty for an unsigned token.
func jwtAt(s string, i int) int {
	if len(s)-i < 20 || s[i:i+3] != "eyJ" {
		return i
	}
	j := i
	for seg := 0; seg < 3; seg++ {
		k := j
		for k < len(s) && inSet(s[k], setB64URL) {
			k++
		}
		switch {
		case seg < 2 && (k-j < 4 || k == len(s) || s[k] != '.'):
			return i
		case seg < 2:
			j = k + 1
		default:
			j = k
		}
	}
	return j
}

// schemeAt matches "Bearer <token>" and "Basic <base64 of user:password>"
// in free text and returns the span of the credential, keeping the scheme.
func schemeAt(s string, i int) (start, end int, rule string) {
	switch {
	case hasFoldPrefix(s[i:], "bearer "):
		start = i + 7
		end = start
		digits, upper := 0, 0
		for end < len(s) && isTokenByte(s[end]) {
			c := s[end]
			switch {
			case 'A' <= c && c <= 'Z':
				upper++
			case c < 'A':
				digits++
			}
			end++
		}
		if end-start >= 8 && (digits > 0 || upper > 1) {
			return start, end, "bearer"
		}
	case hasFoldPrefix(s[i:], "basic "):
		start = i + 6
		end = start
		for end < len(s) && classes[s[end]]&cB64 != 0 {
			end++
		}
		var buf [192]byte
		if end-start >= 8 && end-start <= 256 {
			if d, ok := decodeB64(buf[:0], s[start:end]); ok && containsByte(d, ':') {
				return start, end, "basic"
			}
		}
	}
	return i, i, ""
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// isTokenByte reports whether c may occur in an RFC 6750 bearer token.
func isTokenByte(c byte) bool {
	return inSet(c, setB64URL) || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
}

// hexWordAt returns the end of a word of exactly n hex digits at s[i], or 0.
func hexWordAt(s string, i, n int) int {
	if i > 0 && i <= len(s) && classes[s[i-1]]&cWord != 0 && s[i-1] != '-' {
		return 0
	}
	j := i
	for j < len(s) && isHex(s[j]) {
		j++
	}
	if j-i != n || j < len(s) && classes[s[j]]&cWord != 0 {
		return 0
	}
	return j
}

// deepgramNear finds a 40-hex-digit Deepgram key within 48 bytes after the
// word "deepgram", as in "DEEPGRAM_API_KEY: 0123...". A bare 40-digit hex
// word elsewhere is left alone because git commit hashes look the same.
func deepgramNear(s string, i int) (start, end int, rule string) {
	limit := min(len(s), i+48)
	for j := i; j < limit; j++ {
		if isHex(s[j]) && classes[s[j-1]]&cWord == 0 {
			if end := hexWordAt(s, j, 40); end > 0 {
				return j, end, "deepgram"
			}
		}
	}
	return i, i, ""
}

// hasFoldPrefix reports whether s starts with prefix, ignoring ASCII case.
// prefix must be lower case.
func hasFoldPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
