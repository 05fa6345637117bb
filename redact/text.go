package redact

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rule names, written into placeholders unless Config.OmitRule is set.
const (
	ruleSecret  = "secret"  // a registered secret or its encoded form
	ruleKey     = "key"     // the value of a sensitive key
	ruleURL     = "url"     // URL user info
	ruleHeader  = "header"  // Authorization, Cookie and similar headers
	rulePEM     = "pem"     // a PEM private-key block
	ruleEncoded = "encoded" // a base64 or percent-encoded span hiding a secret
	ruleLimit   = "limit"   // input beyond the depth or size limits
	ruleError   = "error"   // the redactor itself failed
)

// maxDecodeDepth bounds how many layers of base64 and percent-encoding
// are decoded inside one another.
const maxDecodeDepth = 2

// maxDecodeLen bounds the length of one encoded span that is decoded.
const maxDecodeLen = 64 << 10

// span is a range of the input to replace by a placeholder.
type span struct {
	start, end int
	rule       string
}

// Byte classes for the scanning loop.
const (
	cWord    = 1 << iota // letters, digits, '_' and '-'
	cTrigger             // may start a structure: '=', ':', '@', '-', '%'
	cStart               // may start a token when it starts a word
	cB64                 // in the base64 or base64url alphabet
	cCtrl                // control character or non-ASCII byte
	cSpace               // ends a whitespace-delimited field
)

var classes = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
			t[c] |= cWord | cB64
		case b == '_' || b == '-':
			t[c] |= cWord | cB64
		case b == '+' || b == '/' || b == '=':
			t[c] |= cB64
		case b < 0x20 || b >= 0x7f:
			t[c] |= cCtrl
		}
		switch b {
		case '=', ':', '@', '-', '%':
			t[c] |= cTrigger
		case ' ', '"', '\'', '<', '>', '`':
			t[c] |= cSpace
		case 's', 'r', 'w', 'A', 'h', 'g', 'x', 'e', 'b', 'B', 't', 'T', 'd', 'D':
			t[c] |= cStart
		}
	}
	return t
}()

// String returns s with every secret the Default Redactor detects replaced
// by a placeholder and control characters escaped.
func String(s string) string { return defaultRedactor.String(s) }

// Bytes is String for a byte slice. It returns a new slice; b is not
// modified.
func Bytes(b []byte) []byte { return defaultRedactor.Bytes(b) }

// String returns s with every detected secret replaced by a placeholder
// and control characters (CR, LF, tab, other C0 and C1 codes, Unicode line
// separators, bidirectional overrides, U+200B, U+2060 to U+2064 and
// U+FEFF) escaped as \n, \x1b or \u2028.
// It returns s itself, without allocating, when there is nothing to change.
func (r *Redactor) String(s string) (out string) {
	if len(s) < minTokenLen && len(r.forms) == 0 && plain(s) {
		return s
	}
	defer func() {
		if recover() != nil {
			out = r.placeholder(ruleError)
		}
	}()
	return r.text(s, true, 0)
}

// minTokenLen is the length of the shortest text a token format matches
// ("Basic " and 8 bytes).
const minTokenLen = 14

// plain reports whether s holds no byte that starts a structure and no
// byte to escape, so that, shorter than minTokenLen, it has nothing to
// redact.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if classes[s[i]]&(cTrigger|cCtrl) != 0 {
			return false
		}
	}
	return true
}

// Bytes is String for a byte slice. It returns a new slice; b is not
// modified.
func (r *Redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// text redacts s, escaping control characters when escape is set. depth
// counts the encoded layers already decoded around s.
func (r *Redactor) text(s string, escape bool, depth int) string {
	// A nil span slice costs nothing on clean input, which is the common
	// case; input with a secret allocates its output anyway.
	sp, ctrl := r.find(s, nil, depth)
	if len(sp) == 0 && (!escape || !ctrl) {
		return s
	}
	out := r.rewrite(s, sp, escape && ctrl)
	if len(r.forms) > 0 && escape && ctrl {
		// Escaping inserts letters and digits, which could complete a
		// registered secret that the input held only in part.
		out = r.replaceForms(out)
	}
	return out
}

// find returns the spans of s to redact and whether s holds a byte that
// must be escaped.
func (r *Redactor) find(s string, sp []span, depth int) ([]span, bool) {
	sp = r.findForms(s, sp)
	sp, ctrl := r.scan(s, sp, depth)
	if len(sp) > 1 {
		sp = mergeSpans(sp)
	}
	return sp, ctrl
}

// findForms appends the spans of every registered form in s.
func (r *Redactor) findForms(s string, sp []span) []span {
	for _, f := range r.forms {
		for off := 0; ; {
			j := strings.Index(s[off:], f)
			if j < 0 {
				break
			}
			sp = append(sp, span{off + j, off + j + len(f), ruleSecret})
			off += j + 1
		}
	}
	return sp
}

func (r *Redactor) replaceForms(s string) string {
	for range 3 {
		sp := r.findForms(s, nil)
		if len(sp) == 0 {
			return s
		}
		s = r.rewrite(s, mergeSpans(sp), false)
	}
	return r.placeholder(ruleSecret)
}

// mergeSpans sorts sp by start and joins overlapping spans.
func mergeSpans(sp []span) []span {
	slices.SortFunc(sp, func(a, b span) int { return a.start - b.start })
	out := sp[:1]
	for _, x := range sp[1:] {
		last := &out[len(out)-1]
		if x.start < last.end {
			last.end = max(last.end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}

// scan walks s once and appends the spans found by the structure parsers,
// token formats and encoded-span decoding. Each detector runs only when the
// byte under the cursor can start what it detects.
func (r *Redactor) scan(s string, sp []span, depth int) ([]span, bool) {
	ctrl := false
	prevWord := false
	fieldStart, pct := 0, false // whitespace-delimited field, %XX seen
	runStart := 0               // run of base64 alphabet
	scheme := -1                // last "://" in the field
	for i := 0; i < len(s); i++ {
		if prevWord {
			// Inside a word only a trigger byte or the word's end matters,
			// and a '-' triggers only as the start of "-----BEGIN".
			for i < len(s) {
				cl := classes[s[i]]
				if cl&(cWord|cTrigger) != cWord &&
					(s[i] != '-' || i+1 < len(s) && s[i+1] == '-') {
					break
				}
				i++
			}
			if i == len(s) {
				break
			}
		}
		c := s[i]
		cl := classes[c]
		if cl&cB64 == 0 && i-runStart >= minBase64Run {
			if x, ok := r.decodeBase64(s, runStart, i, depth); ok {
				sp = append(sp, x)
			}
		}
		if cl&cSpace != 0 || cl&cCtrl != 0 && c < 0x80 {
			if pct {
				if x, ok := r.decodePercent(s, fieldStart, i, depth); ok {
					sp = append(sp, x)
				}
				pct = false
			}
			fieldStart = i + 1
		}
		if cl == 0 || cl == cSpace {
			prevWord = false
			runStart = i + 1
			continue
		}
		if cl&cCtrl != 0 {
			if c >= 0x80 {
				if needsEscape(s[i:]) {
					ctrl = true
				}
				_, size := utf8.DecodeRuneInString(s[i:])
				i += size - 1
			} else {
				ctrl = true
			}
			prevWord = false
			runStart = i + 1
			continue
		}
		if cl&cStart != 0 && !prevWord {
			if start, end, rule := wordAt(s, i); rule != "" {
				sp = append(sp, span{start, end, rule})
				i, prevWord, runStart = end-1, false, end
				continue
			}
		}
		if cl&cTrigger != 0 {
			if c == ':' && strings.HasPrefix(s[i:], "://") {
				scheme = i
			}
			var end int
			if c == '-' && (i+1 == len(s) || s[i+1] != '-') {
				// Only "-----BEGIN" starts a structure with '-'.
			} else if c == '%' {
				pct = pct || i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
			} else if sp, end = r.structureAt(s, i, sp, fieldStart, scheme); end > i {
				i, prevWord, runStart = end-1, false, end
				continue
			}
		}
		if cl&cB64 == 0 {
			runStart = i + 1
		}
		prevWord = cl&cWord != 0
	}
	if len(s)-runStart >= minBase64Run {
		if x, ok := r.decodeBase64(s, runStart, len(s), depth); ok {
			sp = append(sp, x)
		}
	}
	if pct {
		if x, ok := r.decodePercent(s, fieldStart, len(s), depth); ok {
			sp = append(sp, x)
		}
	}
	return sp, ctrl
}

// structureAt runs the structure parser for the trigger byte at s[i] and
// returns the spans it found and the index where scanning resumes, or i
// when nothing matched. field and scheme locate the current
// whitespace-delimited field and the last "://" in it.
func (r *Redactor) structureAt(s string, i int, sp []span, field, scheme int) ([]span, int) {
	switch s[i] {
	case '=', ':':
		return r.keyValue(s, i, sp)
	case '@':
		if start, ok := userinfoAt(s, i, field, scheme); ok {
			return append(sp, span{start, i, ruleURL}), i
		}
	case '-':
		if end := pemAt(s, i); end > i {
			return append(sp, span{i, end, rulePEM}), end
		}
	}
	return sp, i
}

// rewrite returns s with the spans replaced by placeholders, escaping
// control characters when escape is set.
func (r *Redactor) rewrite(s string, sp []span, escape bool) string {
	var b strings.Builder
	b.Grow(len(s) + len(sp)*16)
	last := 0
	for _, x := range sp {
		writeText(&b, s[last:x.start], escape)
		b.WriteString(r.placeholder(x.rule))
		last = x.end
	}
	writeText(&b, s[last:], escape)
	return b.String()
}

func writeText(b *strings.Builder, s string, escape bool) {
	if !escape {
		b.WriteString(s)
		return
	}
	for len(s) > 0 {
		c := s[0]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			s = s[1:]
			continue
		}
		ru, size := utf8.DecodeRuneInString(s)
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x80 || ru == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		case escapedRune(ru):
			b.WriteString(`\u`)
			b.WriteString(strconv.FormatInt(int64(ru)|0x10000, 16)[1:])
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
}

const hexDigits = "0123456789abcdef"

// needsEscape reports whether the rune at the start of s, which starts
// with a non-ASCII byte, is invalid UTF-8 or a rune that is escaped.
func needsEscape(s string) bool {
	ru, size := utf8.DecodeRuneInString(s)
	return ru == utf8.RuneError && size == 1 || escapedRune(ru)
}

// escapedRune reports whether ru is a C1 control, a Unicode line or
// paragraph separator, a bidirectional formatting character or an
// invisible separator (zero width space, word joiner, byte order mark),
// all of which can forge or hide log lines. The zero width joiners stay,
// because emoji sequences and several scripts need them.
func escapedRune(ru rune) bool {
	switch {
	case 0x80 <= ru && ru <= 0x9f,
		ru == 0x200b || ru == 0xfeff || 0x2060 <= ru && ru <= 0x2064,
		ru == 0x2028 || ru == 0x2029,
		ru == 0x200e || ru == 0x200f,
		0x202a <= ru && ru <= 0x202e,
		0x2066 <= ru && ru <= 0x2069:
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
