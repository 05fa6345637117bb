package redact

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// Handler is a slog.Handler that redacts every record before passing it to
// the next handler. It redacts the message and every attribute at any
// depth: groups, LogValuer results including group-valued ones, errors,
// and the elements of slices, maps and structs. Attributes and group names
// added through WithAttrs and WithGroup are redacted too. Values under a sensitive key, and all
// values inside a group with a sensitive name, become placeholders. What it
// redacts does not depend on the next handler.
//
// Composite values (structs, maps, slices, values with their own
// MarshalJSON, MarshalText or String) reach the next handler converted:
// structs and maps as map[string]any keyed by JSON field name, slices as
// []any, custom marshalers as their redacted output. An error attribute
// reaches it as an error whose text and whose wrapped errors (through
// Unwrap) are redacted copies. errors.Is still matches the original
// errors, but errors.As finds none of their types.
//
// A Handler is safe for concurrent use when the next handler is.
type Handler struct {
	r         *Redactor
	next      slog.Handler
	sensitive bool // a group opened by WithGroup has a sensitive name
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler returns a Handler that redacts with the Default Redactor.
func NewHandler(next slog.Handler) *Handler { return defaultRedactor.NewHandler(next) }

// NewHandler returns a Handler that redacts with r before passing records
// to next.
func (r *Redactor) NewHandler(next slog.Handler) *Handler {
	return &Handler{r: r, next: next}
}

// Enabled reports whether the next handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts rec and passes the copy to the next handler. rec itself
// is not modified.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	msg := h.r.String(rec.Message)
	changed := msg != rec.Message
	if !changed {
		rec.Attrs(func(a slog.Attr) bool {
			if !h.sensitive && h.r.cleanAttr(a) {
				return true
			}
			_, changed = h.r.redactAttr(a, 0, h.sensitive)
			return !changed
		})
	}
	if !changed {
		// Nothing to redact: pass rec on and spare building a copy. Records
		// with a secret are rare, so redacting their attributes twice costs
		// less than collecting the attributes of every record.
		return h.next.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, msg, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.r.attr(a, 0, h.sensitive))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs returns a Handler whose next handler holds attrs, redacted.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.r.attr(a, 0, h.sensitive)
	}
	return &Handler{r: h.r, next: h.next.WithAttrs(red), sensitive: h.sensitive}
}

// WithGroup returns a Handler that opens the group name, redacted. When name
// is sensitive every later attribute value becomes a placeholder.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{
		r:         h.r,
		next:      h.next.WithGroup(h.r.String(name)),
		sensitive: h.sensitive || h.r.SensitiveKey(name),
	}
}

// ReplaceAttr redacts with the Default Redactor; see Redactor.ReplaceAttr.
func ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	return defaultRedactor.ReplaceAttr(groups, a)
}

// ReplaceAttr redacts a for use as slog.HandlerOptions.ReplaceAttr in the
// standard handlers. It is the weaker option, because it only works in
// handlers that call it, and a handler may render a value it never passes
// here (a third-party handler may skip it altogether). It receives a
// group's members one by one, so a sensitive group name redacts them
// through the groups argument. Prefer NewHandler, which redacts whatever
// the next handler is.
func (r *Redactor) ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey, slog.LevelKey, slog.SourceKey:
			return a
		}
	}
	sensitive := false
	for _, g := range groups {
		sensitive = sensitive || r.SensitiveKey(g)
	}
	return r.attr(a, 0, sensitive)
}

// attr returns a redacted copy of a; under a sensitive group every value
// becomes a placeholder.
func (r *Redactor) attr(a slog.Attr, depth int, sensitive bool) slog.Attr {
	red, _ := r.redactAttr(a, depth, sensitive)
	return red
}

// redactAttr is attr that also reports whether the result differs from a.
func (r *Redactor) redactAttr(a slog.Attr, depth int, sensitive bool) (slog.Attr, bool) {
	key, sensitiveKey := r.key(a.Key)
	v := r.resolve(a.Value)
	changed := key != a.Key || a.Value.Kind() == slog.KindLogValuer
	switch {
	case depth > r.maxDepth:
		return slog.String(key, r.placeholder(ruleLimit)), true
	case v.Kind() == slog.KindGroup:
		group := v.Group()
		red := make([]slog.Attr, len(group))
		inner := sensitive || sensitiveKey
		for i, m := range group {
			var ch bool
			red[i], ch = r.redactAttr(m, depth+1, inner)
			changed = changed || ch
		}
		if !changed {
			return a, false
		}
		return slog.Attr{Key: key, Value: slog.GroupValue(red...)}, true
	case sensitive || sensitiveKey:
		return slog.String(key, r.placeholder(ruleKey)), true
	}
	red, ch := r.value(v, depth)
	return slog.Attr{Key: key, Value: red}, changed || ch
}

// cleanAttr reports, without building a redacted copy, whether a is a
// string or a scalar that redactAttr would leave unchanged outside a
// sensitive group. It reports false for every other kind, which
// redactAttr then checks.
func (r *Redactor) cleanAttr(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); r.String(s) != s {
			return false
		}
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool,
		slog.KindDuration, slog.KindTime:
	default:
		return false
	}
	k, sensitive := r.key(a.Key)
	return !sensitive && k == a.Key
}

// key returns the attribute key k redacted, and whether k may be
// sensitive. Keys are almost always short identifiers, and one too short
// to hold a token format, made of letters, digits and '_', '-', '.', needs
// no scan when no secret is registered.
func (r *Redactor) key(k string) (string, bool) {
	if len(r.forms) > 0 || len(k) >= 16 || len(r.sensitive) > 0 {
		return r.String(k), r.SensitiveKey(k)
	}
	var prev, prev2 byte
	maybe := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '_' || c == '-' || c == '.':
			continue
		default:
			return r.String(k), r.SensitiveKey(k)
		}
		maybe = maybe || isTrigram(prev2, prev, c)
		prev2, prev = prev, c
	}
	return k, maybe && r.SensitiveKey(k)
}

// value redacts a resolved, non-group value and reports whether it
// changed.
func (r *Redactor) value(v slog.Value, depth int) (slog.Value, bool) {
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		red := r.String(s)
		return slog.StringValue(red), red != s
	case slog.KindAny:
		return r.anyValue(v.Any(), depth), true
	}
	return v, false
}

// anyValue redacts x. Code of the application runs here (Error, String,
// MarshalJSON), so a panic yields a placeholder.
func (r *Redactor) anyValue(x any, depth int) (v slog.Value) {
	defer func() {
		if recover() != nil {
			v = slog.StringValue(r.placeholder(ruleError))
		}
	}()
	if err, ok := x.(error); ok {
		count := 0
		return slog.AnyValue(r.logged(err, &count))
	}
	nodes := 0
	return slog.AnyValue(r.sanitize(x, depth, &nodes))
}

var attrType = reflect.TypeFor[slog.Attr]()

// sanitize converts x into a redacted form that any handler renders
// without reaching a secret: strings redacted, LogValuers resolved, errors
// and custom marshalers turned into redacted text, structs and maps into
// map[string]any, slices and arrays into []any.
func (r *Redactor) sanitize(x any, depth int, nodes *int) any {
	if *nodes++; depth > r.maxDepth || *nodes > r.maxNodes {
		return r.placeholder(ruleLimit)
	}
	switch x := x.(type) {
	case nil:
		return nil
	case slog.LogValuer:
		return r.sanitizeLogValue(x, depth, nodes)
	case error:
		return r.errorText(x)
	case string:
		return r.String(x)
	case []byte:
		return r.String(string(x))
	case time.Time, time.Duration:
		return x
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Uintptr, reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return x
	}
	if s, ok := r.marshaled(x); ok {
		return s
	}
	return r.sanitizeReflect(rv, depth, nodes)
}

func (r *Redactor) sanitizeLogValue(x slog.LogValuer, depth int, nodes *int) any {
	v := r.resolve(slog.AnyValue(x))
	switch v.Kind() {
	case slog.KindGroup:
		m := make(map[string]any, len(v.Group()))
		for _, a := range v.Group() {
			red := r.attr(a, depth+1, false)
			m[red.Key] = valueAny(red.Value)
		}
		return m
	case slog.KindAny:
		if _, loop := v.Any().(slog.LogValuer); loop {
			return r.placeholder(ruleLimit)
		}
		return r.sanitize(v.Any(), depth+1, nodes)
	case slog.KindString:
		return r.String(v.String())
	}
	return v.Any()
}

// maxLogValues is how many LogValue calls resolve makes for one value, as
// many as slog.Value.Resolve makes in Go 1.25.
const maxLogValues = 100

// resolve is slog.Value.Resolve with placeholders in place of the error
// text and stack trace that Resolve returns when a LogValue method panics
// or keeps returning LogValuers.
func (r *Redactor) resolve(v slog.Value) (out slog.Value) {
	if v.Kind() != slog.KindLogValuer {
		return v
	}
	defer func() {
		if recover() != nil {
			out = slog.StringValue(r.placeholder(ruleError))
		}
	}()
	for range maxLogValues {
		v = v.LogValuer().LogValue()
		if v.Kind() != slog.KindLogValuer {
			return v
		}
	}
	return slog.StringValue(r.placeholder(ruleLimit))
}

// valueAny returns the Go value of a redacted slog value, with groups as
// maps.
func valueAny(v slog.Value) any {
	if v.Kind() != slog.KindGroup {
		return v.Any()
	}
	m := make(map[string]any, len(v.Group()))
	for _, a := range v.Group() {
		m[a.Key] = valueAny(a.Value)
	}
	return m
}

// marshaled returns the redacted output of a value that renders itself
// through MarshalJSON, MarshalText or String, or false for other values.
func (r *Redactor) marshaled(x any) (any, bool) {
	switch m := x.(type) {
	case json.Marshaler:
		data, err := m.MarshalJSON()
		if err != nil || !json.Valid(data) {
			return r.placeholder(ruleError), true
		}
		return json.RawMessage(r.JSON(data)), true
	case encoding.TextMarshaler:
		data, err := m.MarshalText()
		if err != nil {
			return r.placeholder(ruleError), true
		}
		return r.String(string(data)), true
	case fmt.Stringer:
		return r.String(m.String()), true
	}
	return nil, false
}

func (r *Redactor) sanitizeReflect(rv reflect.Value, depth int, nodes *int) any {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return r.sanitize(rv.Elem().Interface(), depth+1, nodes)
	case reflect.String:
		return r.String(rv.String())
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = r.sanitizeElem(rv.Index(i), depth, nodes)
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k := r.String(fmt.Sprint(iter.Key().Interface()))
			if r.SensitiveKey(k) {
				out[k] = r.placeholder(ruleKey)
				continue
			}
			out[k] = r.sanitizeElem(iter.Value(), depth, nodes)
		}
		return out
	case reflect.Struct:
		return r.sanitizeStruct(rv, depth, nodes)
	}
	return "<" + rv.Type().String() + ">"
}

func (r *Redactor) sanitizeElem(v reflect.Value, depth int, nodes *int) any {
	if v.Type() == attrType {
		a := r.attr(v.Interface().(slog.Attr), depth+1, false)
		return map[string]any{a.Key: valueAny(a.Value)}
	}
	return r.sanitize(v.Interface(), depth+1, nodes)
}

// sanitizeStruct converts a struct to a map keyed by JSON field name, with
// the fields that encoding/json would skip left out.
func (r *Redactor) sanitizeStruct(rv reflect.Value, depth int, nodes *int) any {
	t := rv.Type()
	out := make(map[string]any, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if r.sensitiveField(f) {
			out[name] = r.placeholder(ruleKey)
			continue
		}
		out[name] = r.sanitize(rv.Field(i).Interface(), depth+1, nodes)
	}
	return out
}
