package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// errLimit reports input beyond Config.MaxDepth or Config.MaxNodes.
var errLimit = errors.New("redact: input exceeds the depth or size limit")

// JSON returns data with secrets redacted by the Default Redactor.
func JSON(data []byte) []byte { return defaultRedactor.JSON(data) }

// JSON returns a compact copy of the JSON document data in which the value
// of every sensitive key, at any depth, is a placeholder string. That
// includes a whole object or array under such a key. Every other string is
// redacted as text. Member order is kept. Input that is not valid JSON is
// redacted as text; a document beyond the depth or size limits becomes a
// single placeholder string. data is not modified.
func (r *Redactor) JSON(data []byte) (out []byte) {
	defer func() {
		if recover() != nil {
			out = []byte(`"` + r.placeholder(ruleError) + `"`)
		}
	}()
	var b bytes.Buffer
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := jsonWriter{r: r, dec: dec, b: &b}
	err := w.value(0, false)
	if err == nil {
		if _, end := dec.Token(); end != io.EOF {
			err = errors.New("redact: data after the JSON value")
		}
	}
	switch {
	case errors.Is(err, errLimit):
		return []byte(`"` + r.placeholder(ruleLimit) + `"`)
	case err != nil:
		return r.Bytes(data)
	}
	return b.Bytes()
}

// jsonWriter copies JSON tokens from dec to b, redacting as it goes.
type jsonWriter struct {
	r     *Redactor
	dec   *json.Decoder
	b     *bytes.Buffer
	nodes int
}

// value copies one JSON value; sensitive replaces it by a placeholder.
func (w *jsonWriter) value(depth int, sensitive bool) error {
	if depth > w.r.maxDepth {
		return errLimit
	}
	if w.nodes++; w.nodes > w.r.maxNodes {
		return errLimit
	}
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		if sensitive {
			w.string(w.r.placeholder(ruleKey))
			return w.skip(depth)
		}
		return w.container(d, depth)
	}
	switch v := tok.(type) {
	case string:
		if sensitive && v != "" {
			v = w.r.placeholder(ruleKey)
		}
		w.string(w.r.text(v, false, 0))
	case nil:
		w.b.WriteString("null")
	case bool:
		if sensitive {
			w.string(w.r.placeholder(ruleKey))
		} else if v {
			w.b.WriteString("true")
		} else {
			w.b.WriteString("false")
		}
	case json.Number:
		switch red := w.r.text(v.String(), false, 0); {
		case sensitive:
			w.string(w.r.placeholder(ruleKey))
		case red != v.String():
			w.string(red) // a number can spell a registered secret in hex
		default:
			w.b.WriteString(v.String())
		}
	}
	return nil
}

// container copies the object or array opened by d.
func (w *jsonWriter) container(d json.Delim, depth int) error {
	w.b.WriteByte(byte(d))
	for i := 0; w.dec.More(); i++ {
		if i > 0 {
			w.b.WriteByte(',')
		}
		sensitive := false
		if d == '{' {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			sensitive = w.r.SensitiveKey(key)
			w.string(w.r.text(key, false, 0))
			w.b.WriteByte(':')
		}
		if err := w.value(depth+1, sensitive); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return err
	}
	if d == '{' {
		w.b.WriteByte('}')
	} else {
		w.b.WriteByte(']')
	}
	return nil
}

// skip discards the rest of the container just opened.
func (w *jsonWriter) skip(depth int) error {
	for level := 1; level > 0; {
		if depth+level > w.r.maxDepth {
			return errLimit
		}
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				level++
			} else {
				level--
			}
		}
	}
	return nil
}

func (w *jsonWriter) string(s string) {
	enc, _ := json.Marshal(s)
	w.b.Write(enc)
}
