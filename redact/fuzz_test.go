package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cowork-ai/resilience/redact"
)

// fuzzSecrets are registered in the fuzz Redactor. They contain no
// character of a placeholder, so their presence in output is a leak.
var fuzzSecrets = []string{"hunter2", "7f3k", "s3cr3t-v4lu3!", "p@ss w0rd/ü"}

// forms returns s and its encoded forms, as a registered secret is matched.
func forms(s string) []string {
	js, _ := json.Marshal(s)
	return []string{
		s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
		url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1]), hex.EncodeToString([]byte(s)),
		strings.ToUpper(hex.EncodeToString([]byte(s))),
	}
}

// FuzzRedact inserts a registered secret, in one of its forms, into
// arbitrary text and checks that no form of any registered secret survives
// in the output of String, JSON, URL or the value walkers, and that
// nothing panics.
func FuzzRedact(f *testing.F) {
	f.Add("password=", "", uint8(0), uint8(0))
	f.Add("Authorization: Bearer ", "\r\nCookie: a=", uint8(1), uint8(2))
	f.Add(`{"k":"`, `"}`, uint8(2), uint8(3))
	f.Add("https://u:", "@host/?t=", uint8(3), uint8(4))
	f.Add("\x00\xff\u2028", "\\", uint8(0), uint8(6))
	f.Add("x\\", "n", uint8(1), uint8(7))
	f.Add("eyJ", ".eyJ.", uint8(2), uint8(1))
	f.Add(strings.Repeat("[", 40), strings.Repeat("]", 40), uint8(0), uint8(5))
	f.Add(`Get "http://h/?api_key=`, `": dial tcp: refused`, uint8(1), uint8(3))
	r, err := redact.New(redact.Config{Secrets: fuzzSecrets, MaxDepth: 16})
	if err != nil {
		f.Fatal(err)
	}
	var all []string
	for _, s := range fuzzSecrets {
		all = append(all, forms(s)...)
	}
	f.Fuzz(func(t *testing.T, before, after string, which, form uint8) {
		fs := forms(fuzzSecrets[int(which)%len(fuzzSecrets)])
		in := before + fs[int(form)%len(fs)] + after

		outputs := map[string]string{
			"String": r.String(in),
			"JSON":   string(r.JSON([]byte(in))),
			"URL":    r.URL(in),
			"Error":  r.Error(stringError(in)).Error(),
		}
		if v, ok := r.Value(map[string]any{"note": in, "list": []string{in}}).(map[string]any); ok {
			outputs["Value"] = v["note"].(string) + v["list"].([]string)[0]
		}

		for name, out := range outputs {
			for _, form := range all {
				if strings.Contains(out, form) {
					t.Fatalf("%s(%q) = %q, leaks %q", name, in, out, form)
				}
			}
		}
		if got := outputs["String"]; utf8.ValidString(in) && !utf8.ValidString(got) {
			t.Errorf("String(%q) = %q, not valid UTF-8", in, got)
		}
	})
}

type stringError string

func (e stringError) Error() string { return string(e) }

// FuzzHandler logs arbitrary text holding a registered secret through a
// redacting JSON handler. The text goes in as the message, a key, a string
// value, an error, a slice element and a group member, and no form of the
// secret may reach the output.
func FuzzHandler(f *testing.F) {
	f.Add("msg", "key", "value", uint8(0))
	f.Add("a\nb", "password", "Bearer ", uint8(5))
	f.Add("", "", "\"}", uint8(3))
	r, err := redact.New(redact.Config{Secrets: fuzzSecrets})
	if err != nil {
		f.Fatal(err)
	}
	var all []string
	for _, s := range fuzzSecrets {
		all = append(all, forms(s)...)
	}
	f.Fuzz(func(t *testing.T, msg, key, value string, form uint8) {
		fs := forms(fuzzSecrets[int(form)%len(fuzzSecrets)])
		secret := fs[int(form/4)%len(fs)]
		in := value + secret
		var buf bytes.Buffer
		l := slog.New(r.NewHandler(slog.NewJSONHandler(&buf, nil)))
		l.With(key, in).WithGroup(key+secret).Info(msg+secret,
			key+secret, in, "err", stringError(in), "list", []any{in, []byte(in)},
			slog.Group("g", key, in))
		for _, form := range all {
			if strings.Contains(buf.String(), form) {
				t.Fatalf("output leaks %q:\n%s", form, buf.String())
			}
		}
	})
}
