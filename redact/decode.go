package redact

import "strings"

// b64Values maps a byte of either base64 alphabet to its 6-bit value, or
// 0xff for a byte outside both.
var b64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// decodeB64 appends the decoding of s, in either base64 alphabet, padded or
// not, to dst. It reports false for a byte outside the alphabets or padding
// before the end.
func decodeB64(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimRight(s, "=")
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		v := b64Values[s[i]]
		if v == 0xff {
			return dst, false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst = append(dst, byte(acc>>bits))
		}
	}
	return dst, true
}

// minBase64Run is the number of base64 characters, padding not counted,
// from which a run is decoded: 13 bytes of data, as in "token=abcdefg".
// Runs with padding are counted the same, so that padded and unpadded
// forms of one secret are both found.
const minBase64Run = 18

// decodeBase64 checks the run of base64 alphabet s[start:end] and returns
// the span to redact when it decodes to text that holds a secret. It takes
// no span slice, so that the caller's stays on the stack across the
// recursion.
func (r *Redactor) decodeBase64(s string, start, end int, depth int) (span, bool) {
	if depth >= maxDecodeDepth || end-start > maxDecodeLen {
		return span{}, false
	}
	run := s[start:end]
	data := strings.TrimRight(run, "=")
	if k := strings.LastIndexByte(data, '='); k >= 0 {
		// "data=eyJ...": the value after the last '=' is the candidate.
		run, data = run[k+1:], data[k+1:]
		start = end - len(run)
	}
	if len(data) < minBase64Run {
		return span{}, false
	}
	if hexOnly(data[:minBase64Run]) {
		return span{}, false // an id or a hash, not encoded text
	}
	var head [48]byte
	if d, ok := decodeB64(head[:0], run[:min(len(run), 64)]); !ok || !mostlyText(d) {
		return span{}, false
	}
	d, ok := decodeB64(make([]byte, 0, len(run)*3/4+3), run)
	if !ok || !mostlyText(d) {
		return span{}, false
	}
	return span{start, end, ruleEncoded}, holdsSecret(r, string(d), depth+1)
}

// hexOnly reports whether s holds only hex digits and '-'.
func hexOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// decodePercent checks the field s[start:end], which holds %XX escapes,
// and returns the span to redact when its decoding holds a secret.
func (r *Redactor) decodePercent(s string, start, end int, depth int) (span, bool) {
	if depth >= maxDecodeDepth || end-start > maxDecodeLen || end <= start {
		return span{}, false
	}
	field := s[start:end]
	// Keep the parameter name in "q=%7B...": the span starts after the last
	// '?', '&' or '=' before the first escape.
	if k := strings.LastIndexAny(field[:strings.IndexByte(field, '%')+1], "?&="); k >= 0 {
		start += k + 1
		field = field[k+1:]
	}
	var buf [512]byte
	d := buf[:0]
	for i := 0; i < len(field); i++ {
		c := field[i]
		if c == '%' && i+2 < len(field) && isHex(field[i+1]) && isHex(field[i+2]) {
			c = unhex(field[i+1])<<4 | unhex(field[i+2])
			i += 2
		}
		d = append(d, c)
	}
	return span{start, end, ruleEncoded}, holdsSecret(r, string(d), depth+1)
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// holdsSecret reports whether any detector finds a secret in s. It is
// called through a function value, which hides the recursion of find from
// escape analysis. A visible cycle would move the span buffer of every call
// to the heap.
var holdsSecret func(r *Redactor, s string, depth int) bool

func init() { holdsSecret = (*Redactor).findsSecret }

func (r *Redactor) findsSecret(s string, depth int) bool {
	sp, _ := r.find(s, nil, depth)
	return len(sp) > 0
}

// mostlyText reports whether d looks like decoded text: at least 8 bytes,
// nine in ten of them printable ASCII or whitespace.
func mostlyText(d []byte) bool {
	if len(d) < 8 {
		return false
	}
	printable := 0
	for _, c := range d {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	return printable*10 >= len(d)*9
}
