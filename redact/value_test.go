package redact_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/redact"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://bob:hunter2@api.example.com/v1?api_key=k1&q=go#frag": "https://bob:[REDACTED:url]@api.example.com/v1?api_key=[REDACTED:key]&q=go#frag",
		"https://" + strings.Repeat("ab12", 5) + "@github.com/o/r":    "https://[REDACTED:url]@github.com/o/r",
		"https://app.example.com/cb#access_token=t1&state=s":          "https://app.example.com/cb#access_token=[REDACTED:key]&state=s",
		"https://example.com/search?q=" + openAIKey:                   "https://example.com/search?q=[REDACTED:openai]",
		"https://example.com/a/b?x=1&x=2":                             "https://example.com/a/b?x=1&x=2",
		"http://bob:hun%ZZter@host/":                                  "http://[REDACTED:url]@host/",
		"redis://:p4ss@cache:6379/0":                                  "redis://:[REDACTED:url]@cache:6379/0",
	} {
		if got := redact.URL(in); got != want {
			t.Errorf("URL(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestHeader(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Bearer " + openAIKey},
		"Proxy-Authorization": {"Basic dXNlcjpwYXNz"},
		"Cookie":              {"sid=abc; theme=dark"},
		"Set-Cookie":          {"sid=abc; Path=/; HttpOnly"},
		"X-Api-Key":           {"k1"},
		"X-Request-Id":        {"550e8400-e29b-41d4-a716-446655440000"},
		"X-Note":              {"password=hunter2"},
	}
	got := redact.Header(h)
	want := http.Header{
		"Authorization":       {"Bearer [REDACTED:header]"},
		"Proxy-Authorization": {"Basic [REDACTED:header]"},
		"Cookie":              {"sid=[REDACTED:header]; theme=[REDACTED:header]"},
		"Set-Cookie":          {"sid=[REDACTED:header]; Path=/; HttpOnly"},
		"X-Api-Key":           {"[REDACTED:header]"},
		"X-Request-Id":        {"550e8400-e29b-41d4-a716-446655440000"},
		"X-Note":              {"password=[REDACTED:key]"},
	}
	for k := range want {
		if got.Get(k) != want.Get(k) {
			t.Errorf("Header()[%s] = %q, want %q", k, got.Get(k), want.Get(k))
		}
	}
	if h.Get("X-Api-Key") != "k1" {
		t.Errorf("Header modified its input: X-Api-Key = %q", h.Get("X-Api-Key"))
	}
}

func TestJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":{"token":{"x":[1,2]},"list":["` + githubKey + `"]}}`: `{"b":1,"a":{"token":"[REDACTED:key]","list":["[REDACTED:github]"]}}`,
		`[{"pin":1234},{"secret":true},{"session":null}]`:                `[{"pin":"[REDACTED:key]"},{"secret":"[REDACTED:key]"},{"session":null}]`,
		`{"msg":"line\nbreak","n":1.50}`:                                 `{"msg":"line\nbreak","n":1.50}`,
		`not json password=x`:                                            `not json password=[REDACTED:key]`,
		`{"a":1} trailing`:                                               `{"a":1} trailing`,
	} {
		if got := string(redact.JSON([]byte(in))); got != want {
			t.Errorf("JSON(%s)\n got %s\nwant %s", in, got, want)
		}
	}
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if got := string(redact.JSON([]byte(deep))); got != `"[REDACTED:limit]"` {
		t.Errorf("JSON(100 nested arrays) = %s, want the limit placeholder", got)
	}
}

func TestValue(t *testing.T) {
	type inner struct{ Token string }
	type outer struct {
		Name    string
		Secret  int
		Inner   *inner
		Any     any
		Arr     [2]string
		Bytes   []byte
		Tagged  []string `redact:"true"`
		private string
	}
	in := outer{
		Name: "see " + awsKey, Secret: 7, Inner: &inner{"t-1"}, Any: map[string]string{"pwd": "x"},
		Arr: [2]string{"a", jwt}, Bytes: []byte("password=p"), Tagged: []string{"a"}, private: "kept",
	}
	got := redact.Value(in).(outer)
	want := outer{
		Name: "see [REDACTED:aws]", Secret: 0, Inner: &inner{"[REDACTED:key]"},
		Any: map[string]string{"pwd": "[REDACTED:key]"}, Arr: [2]string{"a", "[REDACTED:jwt]"},
		Bytes: []byte("password=[REDACTED:key]"), Tagged: nil, private: "kept",
	}
	if got.Inner == in.Inner || got.Inner.Token != want.Inner.Token {
		t.Errorf("Value().Inner = %p %+v, want a new pointer to %+v", got.Inner, got.Inner, want.Inner)
	}
	got.Inner, want.Inner = nil, nil
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Errorf("Value()\n got %#v\nwant %#v", got, want)
	}
	if redact.Value(nil) != nil {
		t.Errorf("Value(nil) != nil")
	}
	type cyc struct{ Next *cyc }
	c := &cyc{}
	c.Next = c
	if out := redact.Value(c).(*cyc); out == c || out.Next != nil {
		t.Errorf("Value(cycle) = %+v, want a copy whose back pointer is nil", out)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := redact.Secret("hunter2-value")
	type holder struct {
		S redact.Secret
		M map[string]redact.Secret
	}
	h := holder{S: s, M: map[string]redact.Secret{"k": s}}
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := s.MarshalText()
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %X %#v %+v %d", s, s, s, s, s, s, h, s),
		string(js), string(text), slog.AnyValue(s).Resolve().String(),
	}
	for _, out := range outputs {
		assertNoLeak(t, out, "hunter2", "68756e74657232") // raw and hex
	}
	if got := fmt.Sprintf("%#v", s); got != `redact.Secret("[REDACTED]")` {
		t.Errorf("%%#v = %s", got)
	}
	if s.Reveal() != "hunter2-value" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestErrorKeepsChain(t *testing.T) {
	base := fmt.Errorf("open token=t-1: %w", fs.ErrNotExist)
	red := redact.Error(base)
	if strings.Contains(red.Error(), "t-1") {
		t.Errorf("Error() = %q, leaks the token", red.Error())
	}
	if !errors.Is(red, fs.ErrNotExist) || !errors.Is(red, base) {
		t.Errorf("errors.Is(redacted, original) = false, want the chain kept")
	}
	if redact.Error(nil) != nil {
		t.Errorf("Error(nil) != nil")
	}
	if redact.Error(red) != red {
		t.Errorf("Error(Error(err)) wrapped twice")
	}
}

type panicErr struct{}

func (panicErr) Error() string { panic("boom") }

func TestErrorPanicYieldsPlaceholder(t *testing.T) {
	if got := redact.Error(panicErr{}).Error(); got != "[REDACTED:error]" {
		t.Errorf("Error(panicking).Error() = %q, want the error placeholder", got)
	}
}

type unexportedCreds struct {
	Name     string
	apiKey   string
	pin      int
	note     string `redact:"true"`
	password *string
	label    string
}

func TestValueUnexportedSensitiveFields(t *testing.T) {
	pw := "pw-1"
	in := &unexportedCreds{Name: "n", apiKey: "k-1", pin: 4321, note: "t-1", password: &pw, label: "l"}
	out, ok := redact.Value(in).(*unexportedCreds)
	if !ok {
		t.Fatalf("Value(%T) returned %T", in, out)
	}
	printed := fmt.Sprintf("%+v %v", *out, out.password)
	assertNoLeak(t, printed, "k-1", "4321", "t-1", "pw-1")
	if out.label != "l" || out.Name != "n" {
		t.Errorf("Value lost clean fields: %+v", *out)
	}
	if in.apiKey != "k-1" || in.pin != 4321 || in.note != "t-1" || *in.password != "pw-1" {
		t.Errorf("Value modified its input: %+v", *in)
	}
}
