package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/examples/plugin/plugindemo"
)

func TestMain(m *testing.M) {
	// The plugin scenario re-executes this test binary as its plugins.
	plugindemo.ServeIfPlugin()
	goleak.VerifyTestMain(m)
}

const (
	testPrimaryKey  = "AIzaSyTESTtestTESTtestTESTtestTESTtes"
	testFallbackKey = "sk-proj-TESTtestTESTtestTESTtestTESTtestTESTtest"
)

// runAssistant runs the whole program with timings 3/100 of the real ones
// and returns its exit code, standard output and standard error.
func runAssistant(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	env := map[string]string{primaryKeyEnv: testPrimaryKey, fallbackKeyEnv: testFallbackKey}
	getenv := func(name string) string { return env[name] }
	var stdout, stderr bytes.Buffer
	code := run(ctx, append([]string{"-scale", "0.03"}, args...), getenv, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	code, out, logs := runAssistant(t)
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, logs)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", out, logs)
		}
	})

	rows := map[string]int{}
	inTable := false
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "PATH ") {
			inTable = true
			continue
		}
		if inTable && !strings.HasPrefix(line, "metrics ") {
			rows[strings.Fields(line)[0]]++
		}
	}
	want := map[string]int{"stt": 7, "websocket": 2, "plan": 4, "session": 2, "plugin": 3}
	for path, n := range want {
		if rows[path] != n {
			t.Errorf("summary has %d %s rows, want %d\n%s", rows[path], path, n, out)
		}
	}

	for line := range strings.Lines(out) {
		if strings.Contains(line, "setup:") && strings.Contains(line, "FAILED") {
			t.Errorf("demo setup narrated as a failure: %q", line)
		}
	}
	if !strings.Contains(out, "saving the grant failed: ") {
		t.Errorf("output lacks the failed save of the grant:\n%s", out)
	}

	for _, key := range []string{testPrimaryKey, testFallbackKey} {
		if strings.Contains(out+logs, key) {
			t.Errorf("output contains the API key %s", key)
		}
	}
	if !strings.Contains(logs, "api_key=[REDACTED") {
		t.Errorf("log lacks the redacted API key:\n%s", logs)
	}
	if !strings.Contains(logs, "key=[REDACTED") || !strings.Contains(logs, "/v1/listen?") {
		t.Errorf("log lacks the primary's URL with its key redacted:\n%s", logs)
	}

	for _, series := range []string{
		`retry_attempts_total{component="stt",reason="retry_after"} 1`,
		`circuit_breaker_transitions_total{from="closed",service="primary",to="open"} 1`,
		`plugin_verifications_total{reason="file_mismatch",result="rejected"} 1`,
		`plan_steps_total{status="timed_out"} 1`,
		`websocket_disconnects_total{reason="server_close"} 2`,
		`permission_store_events_total{kind="degraded"} 1`,
	} {
		if !strings.Contains(out, series) {
			t.Errorf("metrics snapshot lacks %s", series)
		}
	}
	// Both grants expire, and the plan's second grant may too when the
	// machine is slow, so the count is 2 or 3.
	if !strings.Contains(out, `permission_grant_ends_total{reason="expired"} 2`) &&
		!strings.Contains(out, `permission_grant_ends_total{reason="expired"} 3`) {
		t.Errorf("metrics snapshot lacks 2 or 3 expired grants")
	}
	if !strings.Contains(out, "series at http://127.0.0.1:") {
		t.Errorf("output lacks the loopback metrics address:\n%s", out)
	}
}

func TestRunJSONLines(t *testing.T) {
	t.Parallel()
	code, out, logs := runAssistant(t, "-json")
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", code, logs)
	}
	kinds := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", sc.Text(), err)
		}
		kind, _ := e["kind"].(string)
		kinds[kind]++
		checkJSONFields(t, kind, e)
	}
	for _, kind := range []string{"info", "failure", "recovery", "notice", "outcome"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s events in the JSON output; kinds: %v", kind, kinds)
		}
	}
	if kinds["outcome"] != 18 {
		t.Errorf("%d outcome events, want one per summary row, 18", kinds["outcome"])
	}
	for line := range strings.Lines(logs) {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line %q is not JSON", line)
		}
	}
}

func TestRunInvalidFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-scale", "2"}, os.Getenv, &stdout, &stderr)
	if code != 2 {
		t.Errorf("exit code %d for -scale 2, want 2", code)
	}
	if !strings.Contains(stderr.String(), "invalid -scale 2") {
		t.Errorf("stderr = %q, want the invalid value named", stderr.String())
	}
}

// checkJSONFields checks that an event of the -json output has the fields
// of its kind, each present and separate.
func checkJSONFields(t *testing.T, kind string, e map[string]any) {
	t.Helper()
	if kind == "outcome" {
		if _, ok := e["codes"].([]any); !ok {
			t.Errorf("outcome %v: codes is not an array", e)
		}
		if told, _ := e["told"].(string); strings.HasPrefix(told, "ERR-") {
			t.Errorf("outcome %v: told starts with a code", e)
		}
		return
	}
	if _, ok := e["code"].(string); !ok {
		t.Errorf("%s event %v: code missing", kind, e)
	}
	if _, ok := e["retryable"].(bool); !ok {
		t.Errorf("%s event %v: retryable missing", kind, e)
	}
}
