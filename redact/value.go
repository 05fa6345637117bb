package redact

import (
	"reflect"
	"strings"
	"unsafe"
)

var secretType = reflect.TypeFor[Secret]()

// Value returns a redacted deep copy of v made by the Default Redactor.
func Value(v any) any { return defaultRedactor.Value(v) }

// Value returns a deep copy of v, of the same type, in which strings are
// redacted as text and sensitive fields and map entries hold a placeholder
// (strings) or their zero value (other types). A struct field is sensitive
// when it has the tag redact:"true" or a sensitive name; a map entry when
// its string key is sensitive. Maps, slices, arrays, pointers and
// interfaces are copied, so v is never modified and the copy shares no
// mutable memory with it. There are two exceptions. Unexported struct
// fields are copied as they are, because reflection cannot deep-copy
// them, though sensitive ones are blanked too. Functions and channels are
// shared. A pointer cycle is cut by a nil pointer; values
// beyond the depth and size limits become zero values. Secret values are
// copied unchanged, since they never render their value.
func (r *Redactor) Value(v any) (out any) {
	defer func() {
		if recover() != nil {
			out = r.placeholder(ruleError)
		}
	}()
	if v == nil {
		return nil
	}
	c := copier{r: r, onPath: map[uintptr]bool{}}
	return c.copy(reflect.ValueOf(v), 0, false).Interface()
}

// copier holds the state of one Value call.
type copier struct {
	r      *Redactor
	nodes  int
	onPath map[uintptr]bool // pointers being copied, to detect cycles
}

func (c *copier) copy(v reflect.Value, depth int, sensitive bool) reflect.Value {
	t := v.Type()
	c.nodes++
	if depth > c.r.maxDepth || c.nodes > c.r.maxNodes {
		return c.blank(t, ruleLimit)
	}
	if sensitive && t != secretType {
		return c.blank(t, ruleKey)
	}
	switch v.Kind() {
	case reflect.String:
		if t == secretType {
			return v
		}
		return reflect.ValueOf(c.r.String(v.String())).Convert(t)
	case reflect.Pointer:
		return c.pointer(v, depth)
	case reflect.Interface:
		out := reflect.New(t).Elem()
		if !v.IsNil() {
			if e := c.copy(v.Elem(), depth+1, false); e.Type().AssignableTo(t) {
				out.Set(e)
			}
		}
		return out
	case reflect.Struct:
		return c.structure(v, depth)
	case reflect.Map:
		return c.mapping(v, depth)
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		if t.Elem().Kind() == reflect.Uint8 {
			b := []byte(c.r.text(string(v.Bytes()), false, 0))
			return reflect.ValueOf(b).Convert(t)
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		c.elements(out, v, depth)
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		c.elements(out, v, depth)
		return out
	}
	return v
}

// blank returns the value that replaces a sensitive or out-of-bounds value
// of type t: a placeholder where t holds a string, else the zero value.
func (c *copier) blank(t reflect.Type, rule string) reflect.Value {
	p := reflect.ValueOf(c.r.placeholder(rule))
	switch {
	case t.Kind() == reflect.String:
		return p.Convert(t)
	case t.Kind() == reflect.Interface && p.Type().AssignableTo(t):
		out := reflect.New(t).Elem()
		out.Set(p)
		return out
	}
	return reflect.Zero(t)
}

func (c *copier) pointer(v reflect.Value, depth int) reflect.Value {
	if v.IsNil() {
		return v
	}
	p := v.Pointer()
	if c.onPath[p] {
		return reflect.Zero(v.Type())
	}
	c.onPath[p] = true
	defer delete(c.onPath, p)
	out := reflect.New(v.Type().Elem())
	out.Elem().Set(c.copy(v.Elem(), depth+1, false))
	return out
}

func (c *copier) elements(out, v reflect.Value, depth int) {
	for i := 0; i < v.Len(); i++ {
		out.Index(i).Set(c.copy(v.Index(i), depth+1, false))
	}
}

func (c *copier) structure(v reflect.Value, depth int) reflect.Value {
	t := v.Type()
	out := reflect.New(t).Elem()
	out.Set(v)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		sensitive := c.r.sensitiveField(f)
		if !f.IsExported() {
			if sensitive {
				// reflect cannot set an unexported field, so the field of
				// the new copy is written through its address instead.
				addr := unsafe.Pointer(out.Field(i).UnsafeAddr())
				reflect.NewAt(f.Type, addr).Elem().Set(c.blank(f.Type, ruleKey))
			}
			continue
		}
		out.Field(i).Set(c.copy(v.Field(i), depth+1, sensitive))
	}
	return out
}

// sensitiveField reports whether the struct field f is redacted whole: it
// has the tag redact:"true", or its name or JSON name is sensitive.
func (r *Redactor) sensitiveField(f reflect.StructField) bool {
	if f.Tag.Get("redact") == "true" {
		return true
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return r.SensitiveKey(f.Name) || name != "" && name != "-" && r.SensitiveKey(name)
}

func (c *copier) mapping(v reflect.Value, depth int) reflect.Value {
	if v.IsNil() {
		return v
	}
	t := v.Type()
	out := reflect.MakeMapWithSize(t, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		k := iter.Key()
		sensitive := false
		if k.Kind() == reflect.String {
			sensitive = c.r.SensitiveKey(k.String())
		}
		out.SetMapIndex(c.copy(k, depth+1, false), c.copy(iter.Value(), depth+1, sensitive))
	}
	return out
}
