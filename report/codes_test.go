package report_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/plugin"
	"github.com/cowork-ai/resilience/report"
	"github.com/cowork-ai/resilience/retry"
	"github.com/cowork-ai/resilience/session"
	"github.com/cowork-ai/resilience/strategy"
	"github.com/cowork-ai/resilience/wsreconnect"
)

// moduleCodes returns every "ERR-..." string literal in the module's Go
// sources, tests, examples and benchmarks excluded, since those define
// codes of their own.
func moduleCodes(t *testing.T) []string {
	t.Helper()
	literal := regexp.MustCompile(`"ERR-[A-Za-z0-9]+"`)
	var codes []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "examples", "benchmarks", "testdata":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && path != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllString(string(src), -1) {
			codes = append(codes, strings.Trim(m, `"`))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	if len(codes) < 40 {
		t.Fatalf("found %d codes in the module sources, want at least 40: %q", len(codes), codes)
	}
	return codes
}

// checkedCode maps "ERR-HTTP", the prefix retry.HTTPError puts before a
// status code, to a full code.
func checkedCode(code string) string {
	if code == "ERR-HTTP" {
		return "ERR-HTTP503"
	}
	return code
}

func TestGuidanceCoversModuleCodes(t *testing.T) {
	generic := []string{
		report.Guidance("ERR-NoSuchCode", true), report.Guidance("ERR-NoSuchCode", false),
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range moduleCodes(t) {
		for _, retryable := range []bool{true, false} {
			g := report.Guidance(checkedCode(code), retryable)
			if slices.Contains(generic, g) {
				t.Errorf("Guidance(%q, %v) = generic %q, want guidance of its own", code, retryable, g)
			}
		}
		listed := regexp.MustCompile(`\b` + regexp.QuoteMeta(code) + `\b`).Match(doc)
		if !listed && !strings.Contains(string(doc), "- "+code) { // for "ERR-HTTP"
			t.Errorf("doc.go does not list %s in its guidance table", code)
		}
	}
}

// TestGuidanceForRealErrors builds the errors the packages return and
// checks the flag and the guidance that From gives each.
func TestGuidanceForRealErrors(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		code      string
		retryable bool
	}{
		{"open breaker", &breaker.OpenError{Service: "stt", State: breaker.StateOpen},
			"ERR-CircuitOpen", false},
		{"retry deadline", &retry.Error{Reason: retry.ReasonDeadline,
			Last: context.DeadlineExceeded},
			"ERR-Timeout", false},
		{"retries exhausted", &retry.Error{Reason: retry.ReasonAttemptsExhausted,
			Last: errors.New("reset")},
			"ERR-RetriesExhausted", true},
		{"retry-after too long", &retry.Error{Reason: retry.ReasonRetryAfterTooLong},
			"ERR-RetryAfterTooLong", true},
		{"not granted", &session.DeniedError{Reason: session.ReasonNotGranted},
			"ERR-PermissionDenied", false},
		{"store degraded", &session.DeniedError{Reason: session.ReasonStoreDegraded},
			"ERR-StoreDegraded", true},
		{"session internal", &session.DeniedError{Reason: session.ReasonInternal},
			"ERR-Internal", false},
		{"step timeout", &strategy.StepError{Step: "save",
			TimedOut: true, Err: errors.New("no dialog"), Cause: context.DeadlineExceeded},
			"ERR-StepTimeout", false},
		{"step failed", &strategy.StepError{Step: "save", Err: errors.New("no dialog")},
			"ERR-StepFailed", true},
		{"environment changed", strategy.EnvironmentChanged("window closed"),
			"ERR-EnvironmentChanged", false},
		{"plugin timeout", &plugin.RunError{Plugin: "p",
			Outcome: plugin.OutcomeTimeout, Err: context.DeadlineExceeded},
			"ERR-PluginTimeout", false},
		{"plugin crashed", &plugin.RunError{Plugin: "p", Outcome: plugin.OutcomeCrashed},
			"ERR-PluginCrashed", true},
		{"plugin rejected", &plugin.RejectedError{Reason: plugin.ReasonSignatureInvalid},
			"ERR-PluginRejected", false},
		{"plugin unreadable", &plugin.RejectedError{Reason: plugin.ReasonIO},
			"ERR-PluginRejected", true},
		{"websocket rejected", &wsreconnect.Error{Sentinel: wsreconnect.ErrHandshakeRejected,
			Err: &wsreconnect.HandshakeError{Status: 401}},
			"ERR-WebSocketRejected", false},
		{"websocket gave up", &wsreconnect.Error{Sentinel: wsreconnect.ErrGaveUp,
			Err: &wsreconnect.HandshakeError{Status: 401}},
			"ERR-WebSocketGaveUp", true},
		{"websocket closed", wsreconnect.ErrClosed,
			"ERR-WebSocketClosed", false},
		{"websocket too large", wsreconnect.ErrTooLarge,
			"ERR-WebSocketTooLarge", false},
		{"websocket queue full", wsreconnect.ErrQueueFull,
			"ERR-WebSocketQueueFull", true},
		{"plugin canceled", &plugin.RunError{Plugin: "p",
			Outcome: plugin.OutcomeCanceled, Err: context.Canceled},
			"ERR-PluginCanceled", false},
		{"plugin protocol", &plugin.RunError{Plugin: "p", Outcome: plugin.OutcomeMalformed},
			"ERR-PluginProtocol", true},
		{"retry permanent", &retry.Error{Reason: retry.ReasonPermanent, Last: errors.New("bad")},
			"ERR-NotRetryable", false},
		{"HTTP 503", retry.NewHTTPError(&http.Response{StatusCode: 503, Header: http.Header{}}),
			"ERR-HTTP503", true},
		{"HTTP 401", retry.NewHTTPError(&http.Response{StatusCode: 401, Header: http.Header{}}),
			"ERR-HTTP401", false},
	}
	for _, c := range cases {
		n := report.From(c.err)
		if n.Code != c.code || n.Retryable != c.retryable {
			t.Errorf("%s: From() = %s retryable=%v, want %s retryable=%v",
				c.name, n.Code, n.Retryable, c.code, c.retryable)
		}
		if want := report.Guidance(c.code, c.retryable); n.Guidance != want {
			t.Errorf("%s: Guidance = %q, want %q", c.name, n.Guidance, want)
		}
	}
}
