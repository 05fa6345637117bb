package redact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/cowork-ai/resilience/redact"
)

func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return redact.NewHandler(slog.NewJSONHandler(&buf, nil))
	}
	result := func(t *testing.T) map[string]any {
		m := map[string]any{}
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

func TestHandlerRedactsDepthAndKinds(t *testing.T) {
	type payload struct {
		Name   string `json:"name"`
		APIKey string `json:"api_key"`
		Note   string `redact:"true"`
		Skip   string `json:"-"`
	}
	out := logJSON(t, redact.Default(), func(l *slog.Logger) {
		l.Info("m",
			slog.Group("a", slog.Group("b", "token", "t-1", "text", "see "+githubKey)),
			"p", payload{Name: "n", APIKey: "k-1", Note: "note-1", Skip: "skip-1"},
			"m", map[string]any{"password": "pw-1", "x": []any{map[string]string{"secret": "s-1"}}},
			"n", 42, "d", 3.5, "ok", true)
	})
	assertNoLeak(t, out, "t-1", githubKey, "k-1", "note-1", "skip-1", "pw-1", "s-1")
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if m["n"] != 42.0 || m["ok"] != true || m["p"].(map[string]any)["name"] != "n" {
		t.Errorf("output lost clean values:\n%s", out)
	}
}

func TestHandlerErrorKeepsChain(t *testing.T) {
	var got error
	h := redact.NewHandler(handlerFunc(func(_ context.Context, r slog.Record) error {
		r.Attrs(func(a slog.Attr) bool {
			got, _ = a.Value.Any().(error)
			return true
		})
		return nil
	}))
	sentinel := errors.New("password=hunter2")
	slog.New(h).Error("x", "err", sentinel)
	if got == nil || !errors.Is(got, sentinel) || strings.Contains(got.Error(), "hunter2") {
		t.Errorf("err attr = %v, want a redacted error that unwraps to the original", got)
	}
}

type pathError struct{ path string }

func (e *pathError) Error() string { return "open " + e.path }

// walkErrors appends the text of every error in err's tree to seen.
func walkErrors(err error, seen []string) []string {
	if err == nil {
		return seen
	}
	seen = append(seen, err.Error())
	var pe *pathError
	if errors.As(err, &pe) {
		seen = append(seen, pe.path)
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walkErrors(u.Unwrap(), seen)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			seen = walkErrors(e, seen)
		}
	}
	return seen
}

func TestHandlerErrorChainRedacted(t *testing.T) {
	var seen []string
	var got error
	h := redact.NewHandler(handlerFunc(func(_ context.Context, r slog.Record) error {
		r.Attrs(func(a slog.Attr) bool {
			got, _ = a.Value.Any().(error)
			seen = walkErrors(got, seen)
			return true
		})
		return nil
	}))
	inner := &pathError{"https://bob:hunter2@host"}
	joined := errors.Join(fmt.Errorf("dial: %w", inner), errors.New("password=pw-1"))
	slog.New(h).Error("x", "err", joined)
	assertNoLeak(t, strings.Join(seen, "\n"), "hunter2", "pw-1")
	if len(seen) < 4 {
		t.Errorf("handler saw %q, want the joined error and every cause", seen)
	}
	if !errors.Is(got, inner) {
		t.Errorf("errors.Is(logged error, cause) = false, want true")
	}
}

func TestHandlerLimits(t *testing.T) {
	r, err := redact.New(redact.Config{MaxDepth: 4})
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Next *node
		Text string
	}
	cyclic := &node{Text: "password=hunter2"}
	cyclic.Next = cyclic
	deep := any("token=t-1")
	for range 20 {
		deep = []any{deep}
	}
	out := logJSON(t, r, func(l *slog.Logger) { l.Info("x", "cyclic", cyclic, "deep", deep) })
	assertNoLeak(t, out, "hunter2", "t-1")
	if !strings.Contains(out, "[REDACTED:limit]") {
		t.Errorf("output lacks the limit placeholder:\n%s", out)
	}
}

type panicky struct{}

func (panicky) String() string { panic("boom") }

func (panicky) LogValue() slog.Value { panic("boom") }

func TestHandlerPanicYieldsPlaceholder(t *testing.T) {
	out := logJSON(t, redact.Default(), func(l *slog.Logger) { l.Info("x", "v", panicky{}) })
	if !strings.Contains(out, `"v":`) {
		t.Errorf("output lost the attribute:\n%s", out)
	}
}

type selfValuer struct{ Text string }

func (v selfValuer) LogValue() slog.Value { return slog.AnyValue(v) }

func TestHandlerLogValuerFailures(t *testing.T) {
	out := logJSON(t, redact.Default(), func(l *slog.Logger) {
		l.Info("x", "top", panicky{}, "list", []any{panicky{}},
			slog.Group("g", "inner", panicky{}), "self", selfValuer{"password=hunter2"})
	})
	assertNoLeak(t, out, "hunter2", "panicked", ".go:", "called")
	for _, want := range []string{
		`"top":"[REDACTED:error]"`, `"list":["[REDACTED:error]"]`,
		`"inner":"[REDACTED:error]"`, `"self":"[REDACTED:limit]"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: redact.ReplaceAttr}))
	l.With("token", "t-1").WithGroup("credentials").Info("login "+openAIKey,
		"user", "bob-1", "err", errors.New("password=hunter2"))
	assertNoLeak(t, buf.String(), "t-1", openAIKey, "bob-1", "hunter2")
	if !strings.Contains(buf.String(), `"level":"INFO"`) {
		t.Errorf("ReplaceAttr changed the built-in level:\n%s", buf.String())
	}
}

type handlerFunc func(context.Context, slog.Record) error

func (f handlerFunc) Enabled(context.Context, slog.Level) bool        { return true }
func (f handlerFunc) Handle(ctx context.Context, r slog.Record) error { return f(ctx, r) }
func (f handlerFunc) WithAttrs([]slog.Attr) slog.Handler              { return f }
func (f handlerFunc) WithGroup(string) slog.Handler                   { return f }
