package redact

import (
	"fmt"
	"log/slog"
)

// Secret is a string that never shows its value: fmt (every verb,
// including %#v and %x), encoding/json, encoding.TextMarshaler and log/slog
// all render it as "[REDACTED]". Reveal returns the value.
//
// Conversion gets the value back too: string(s) is the secret itself. As a
// map key, a Secret is written verbatim by encoding/json, which uses
// string-kind keys directly, so never key a map by a Secret.
type Secret string

const secretText = "[REDACTED]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns the placeholder.
func (s Secret) String() string { return secretText }

// GoString returns the placeholder as a Go expression, for %#v.
func (s Secret) GoString() string { return `redact.Secret("` + secretText + `")` }

// Format writes the placeholder for every verb, so that %x and %q cannot
// print the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", secretText)
	default:
		fmt.Fprint(f, secretText)
	}
}

// MarshalJSON returns the placeholder as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + secretText + `"`), nil }

// MarshalText returns the placeholder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(secretText), nil }

// LogValue returns the placeholder as a string value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(secretText) }

var (
	_ fmt.Formatter  = Secret("")
	_ fmt.Stringer   = Secret("")
	_ slog.LogValuer = Secret("")
)
