package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/redact"
	"github.com/cowork-ai/resilience/report"
)

// codedError is an error with a stable code, the way the packages of this
// module report user-visible failures.
type codedError struct {
	code string
	msg  string
	err  error
}

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Code() string  { return e.code }
func (e *codedError) Unwrap() error { return e.err }

type statusError int

func (e statusError) Error() string   { return fmt.Sprintf("status %d", int(e)) }
func (e statusError) StatusCode() int { return int(e) }

type permanent struct{ error }

func (permanent) Retryable() bool { return false }
func (p permanent) Unwrap() error { return p.error }

type panicCode struct{}

func (panicCode) Error() string { return "panics" }
func (panicCode) Code() string  { panic("boom") }

func TestFromCode(t *testing.T) {
	inner := &codedError{code: "ERR-RateLimited", msg: "rate limited"}
	for name, c := range map[string]struct {
		err  error
		want string
	}{
		"plain":           {errors.New("boom"), report.CodeInternal},
		"coded":           {inner, "ERR-RateLimited"},
		"wrapped":         {fmt.Errorf("stt: %w", inner), "ERR-RateLimited"},
		"outer first":     {&codedError{code: "ERR-RetriesExhausted", msg: "x", err: inner}, "ERR-RetriesExhausted"},
		"empty skipped":   {&codedError{code: "", msg: "x", err: inner}, "ERR-RateLimited"},
		"invalid skipped": {&codedError{code: "ERR bad\n", msg: "x", err: inner}, "ERR-RateLimited"},
		"joined":          {errors.Join(errors.New("a"), inner), "ERR-RateLimited"},
		"panicking Code":  {errors.Join(panicCode{}, inner), "ERR-RateLimited"},
		"several coded": {errors.Join(fmt.Errorf("a: %w", inner),
			&codedError{code: "ERR-CircuitOpen", msg: "b"}), "ERR-RateLimited"},
		"%w twice": {fmt.Errorf("%w; %w", &codedError{code: "ERR-CircuitOpen", msg: "b"}, inner),
			"ERR-CircuitOpen"},
		"typed nil": {(*codedError)(nil), report.CodeInternal},
		"deadline":  {fmt.Errorf("call: %w", context.DeadlineExceeded), report.CodeTimeout},
		"canceled":  {context.Canceled, report.CodeCanceled},
	} {
		if got := report.From(c.err).Code; got != c.want {
			t.Errorf("%s: From(%v).Code = %q, want %q", name, c.err, got, c.want)
		}
	}
}

func TestFromRetryable(t *testing.T) {
	for name, c := range map[string]struct {
		err  error
		want bool
	}{
		"plain":        {errors.New("reset"), true},
		"503":          {fmt.Errorf("x: %w", statusError(503)), true},
		"400":          {statusError(400), false},
		"permanent":    {permanent{statusError(503)}, false},
		"canceled":     {context.Canceled, false},
		"rate limited": {&codedError{code: "ERR-RateLimited", msg: "x", err: statusError(429)}, true},
	} {
		if got := report.From(c.err).Retryable; got != c.want {
			t.Errorf("%s: From(%v).Retryable = %v, want %v", name, c.err, got, c.want)
		}
	}
}

func TestFromRedactsMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Close()
	_, err := http.Get(srv.URL + "/v1/listen?api_key=k-8812&model=nova")
	if err == nil {
		t.Fatal("http.Get to a closed server succeeded")
	}
	n := report.From(fmt.Errorf("transcribe with password=hunter2\r\nforged: line: %w", err))
	for _, leak := range []string{"k-8812", "hunter2", "\n"} {
		if strings.Contains(n.Message, leak) {
			t.Errorf("From().Message = %q, contains %q", n.Message, leak)
		}
	}
	if !strings.Contains(n.Message, "model=nova") || !n.Retryable {
		t.Errorf("From() = %+v, want the clean parts kept and a retryable network error", n)
	}
}

func TestFromKeepsErrorPrefixes(t *testing.T) {
	base := errors.New("session: permission denied")
	err := fmt.Errorf("%w for screen.control: expired", base)
	want := "session: permission denied for screen.control: expired"
	if n := report.From(err); n.Message != want {
		t.Errorf("From(%q).Message = %q, want it unchanged", err, n.Message)
	}
	err = fmt.Errorf("token: invalid: %w", errors.New("login with password: hunter2"))
	want = "token: invalid: login with password: [REDACTED:key]"
	if n := report.From(err); n.Message != want {
		t.Errorf("From(%q).Message = %q, want %q", err, n.Message, want)
	}
}

type panicMethods struct{}

func (panicMethods) Error() string   { return "password=hunter2" }
func (panicMethods) Retryable() bool { panic("boom") }
func (panicMethods) Timeout() bool   { panic("boom") }
func (panicMethods) StatusCode() int { panic("boom") }
func (panicMethods) Unwrap() error   { panic("boom") }

func TestFromPanickingMethods(t *testing.T) {
	err := fmt.Errorf("call: %w", panicMethods{})
	n := report.From(err)
	if n.Code != report.CodeInternal || n.Retryable {
		t.Errorf("From(%T) = %+v, want %s and not retryable", err, n, report.CodeInternal)
	}
	if n.Message != "call: password=[REDACTED:key]" {
		t.Errorf("From(%T).Message = %q, want the redacted text", err, n.Message)
	}
	if got := report.CodeOf(panicMethods{}); got != report.CodeInternal {
		t.Errorf("CodeOf(%T) = %q, want %s", err, got, report.CodeInternal)
	}
	var buf bytes.Buffer
	report.Log(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), err)
	if !strings.Contains(buf.String(), `"code":"ERR-Internal"`) {
		t.Errorf("Log wrote %q, want the record with its code", buf.String())
	}
}

func TestFromNil(t *testing.T) {
	if n := report.From(nil); n != (report.Notice{}) {
		t.Errorf("From(nil) = %+v, want the zero Notice", n)
	}
}

func TestFromTruncatesMessage(t *testing.T) {
	n := report.From(errors.New(strings.Repeat("é", 2000)))
	if len(n.Message) > report.MaxMessageLen || !strings.HasSuffix(n.Message, "...") {
		t.Errorf("len(Message) = %d, suffix %q; want at most %d ending in ...",
			len(n.Message), n.Message[len(n.Message)-5:], report.MaxMessageLen)
	}
	if !strings.HasPrefix(n.Message, "éé") || strings.ContainsRune(n.Message, '\uFFFD') {
		t.Errorf("Message was cut inside a rune")
	}
}

func TestGuidance(t *testing.T) {
	generic := map[string]bool{
		report.Guidance("ERR-Unknown", true): true, report.Guidance("ERR-Unknown", false): true,
	}
	if len(generic) != 2 {
		t.Errorf("generic guidance is the same for retryable and permanent errors")
	}
	for _, code := range []string{
		"ERR-CircuitOpen", "ERR-RateLimited", "ERR-SessionExpired", "ERR-PermissionDenied",
		"ERR-Timeout", "ERR-InvalidInput", "ERR-PluginRejected", "ERR-MissingDependency",
		report.CodeInternal, report.CodeCanceled,
	} {
		g := report.Guidance(code, true)
		if generic[g] || g == "" || generic[report.Guidance(code, false)] {
			t.Errorf("Guidance(%q) = %q, want guidance of its own", code, g)
		}
	}
}

func TestReporterOverrides(t *testing.T) {
	r, err := redact.Default().WithSecrets("org-4411")
	if err != nil {
		t.Fatal(err)
	}
	rp := &report.Reporter{Redactor: r, Guidance: map[string]string{"ERR-Quota": "Upgrade the plan."}}
	n := rp.From(&codedError{code: "ERR-Quota", msg: "quota of org-4411 used"})
	if n.Guidance != "Upgrade the plan." || strings.Contains(n.Message, "org-4411") {
		t.Errorf("From() = %+v, want the custom guidance and the registered secret redacted", n)
	}
}

func TestNoticeJSON(t *testing.T) {
	n := report.From(&codedError{code: "ERR-RateLimited", msg: "slow down", err: statusError(429)})
	data, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"code": "ERR-RateLimited", "message": "slow down", "retryable": true}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("JSON %s = %v, want %v (%s)", k, m[k], v, data)
		}
	}
	if g, _ := m["guidance"].(string); g == "" {
		t.Errorf("JSON lacks guidance: %s", data)
	}
}

func TestLogRedacts(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true}))
	err := &codedError{code: "ERR-CircuitOpen", msg: "stt open; last: Bearer abc123def456ghi"}
	report.Log(context.Background(), logger, err, slog.String("url", "https://u:pw-77@h/"),
		slog.String("service", "stt"))
	var m map[string]any
	if jerr := json.Unmarshal(buf.Bytes(), &m); jerr != nil {
		t.Fatalf("output is not one JSON record: %v\n%s", jerr, buf.String())
	}
	for _, leak := range []string{"abc123def456ghi", "pw-77"} {
		if strings.Contains(buf.String(), leak) {
			t.Errorf("log output contains %q:\n%s", leak, buf.String())
		}
	}
	if m["code"] != "ERR-CircuitOpen" || m["retryable"] != true || m["service"] != "stt" || m["level"] != "ERROR" {
		t.Errorf("log record = %v, want code, retryable, level ERROR and the attrs", m)
	}
	src, _ := m["source"].(map[string]any)
	if file, _ := src["file"].(string); !strings.HasSuffix(file, "report_test.go") {
		t.Errorf("source = %v, want the caller of Log", src)
	}
}

func TestLogRegisteredSecretsBehindRedactingLogger(t *testing.T) {
	red, err := redact.New(redact.Config{Secrets: []string{"plain-key-42"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(&buf, nil)))
	rp := &report.Reporter{Redactor: red}
	rp.Log(context.Background(), logger, errors.New("upstream rejected plain-key-42"),
		slog.String("key", "plain-key-42"))
	if strings.Contains(buf.String(), "plain-key-42") {
		t.Errorf("log output contains the registered secret:\n%s", buf.String())
	}
}

func TestLogSilentCases(t *testing.T) {
	var buf bytes.Buffer
	report.Log(context.Background(), nil, errors.New("x"))
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	report.Log(context.Background(), logger, errors.New("x"))
	report.Log(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), nil)
	if buf.Len() != 0 {
		t.Errorf("Log wrote %q, want nothing", buf.String())
	}
}

func TestLogWritesErrorOnce(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	text := "session: permission denied for screen.control: not granted"
	report.Log(context.Background(), logger, &codedError{code: "ERR-PermissionDenied", msg: text})
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("output is not one JSON record: %v\n%s", err, buf.String())
	}
	if got := strings.Count(buf.String(), "not granted"); got != 1 {
		t.Errorf("log record holds the error text %d times, want once:\n%s", got, buf.String())
	}
	if m["err"] != text {
		t.Errorf("err = %v, want %q", m["err"], text)
	}
	if m["msg"] != "ERR-PermissionDenied: operation failed" {
		t.Errorf("msg = %v, want the code and a fixed phrase", m["msg"])
	}

	buf.Reset()
	report.Log(context.Background(), logger, &codedError{code: "ERR-SessionExpired", msg: "expired"})
	if !strings.Contains(buf.String(), `"msg":"ERR-SessionExpired: operation failed"`) {
		t.Errorf("a code naming a session lost its message to redaction:\n%s", buf.String())
	}
}

func TestNoticeString(t *testing.T) {
	n := report.From(&codedError{code: "ERR-PermissionDenied",
		msg: "session: permission denied for screen.control: not granted"})
	want := "ERR-PermissionDenied: session: permission denied for screen.control: not granted -- " +
		n.Guidance
	if got := n.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, c := range []struct {
		n    report.Notice
		want string
	}{
		{report.Notice{}, ""},
		{report.Notice{Code: "ERR-X", Guidance: "Do y."}, "ERR-X -- Do y."},
		{report.Notice{Code: "ERR-X", Message: "m"}, "ERR-X: m"},
	} {
		if got := c.n.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.n, got, c.want)
		}
	}
}
