package sttdemo_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/internal/standin"
	"github.com/cowork-ai/resilience/examples/stt/sttdemo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sameBody reports whether every request carried the same recording.
func sameBody(reqs []standin.Request) bool {
	for _, r := range reqs {
		if r.BodySHA256 != reqs[0].BodySHA256 || r.Bytes != reqs[0].Bytes {
			return false
		}
	}
	return true
}

// lineIndex returns the index of the first line containing substr, or -1.
func lineIndex(lines []string, substr string) int {
	for i, l := range lines {
		if strings.Contains(l, substr) {
			return i
		}
	}
	return -1
}

func TestRun(t *testing.T) {
	var logs, account bytes.Buffer
	res, err := sttdemo.Run(t.Context(), sttdemo.Config{
		Scale:    0.03,
		Narrator: narrate.New(&account, false),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("account of the run:\n%s", account.String())
		}
	})
	cmds := res.Commands
	if len(cmds) != 8 {
		t.Fatalf("len(Commands) = %d, want 8", len(cmds))
	}

	t.Run("rate limit waited out", func(t *testing.T) {
		c := cmds[0]
		primary := c.Requests[sttdemo.Primary]
		if c.Provider != sttdemo.Primary || c.Text != c.Phrase {
			t.Errorf("answered by %q with %q, want primary with %q", c.Provider, c.Text, c.Phrase)
		}
		if len(primary) != 2 || primary[0].Status != 429 || primary[1].Status != 200 {
			t.Errorf("primary requests = %+v, want 429 then 200", primary)
		}
		if !sameBody(primary) {
			t.Errorf("the retry sent a different body: %+v", primary)
		}
	})

	t.Run("queued behind the rate limit", func(t *testing.T) {
		c := cmds[1]
		primary := c.Requests[sttdemo.Primary]
		if c.Provider != sttdemo.Primary || c.Text != c.Phrase {
			t.Errorf("answered by %q with %q, want primary with %q", c.Provider, c.Text, c.Phrase)
		}
		if len(primary) != 1 || primary[0].Status != 200 {
			t.Errorf("primary requests = %+v, want one 200 after the limit", primary)
		}
	})

	t.Run("timeout falls back", func(t *testing.T) {
		c := cmds[2]
		if c.Provider != sttdemo.Fallback || c.Notice != nil {
			t.Errorf("answered by %q, notice %v; want fallback and no notice", c.Provider, c.Notice)
		}
		if n := len(c.Requests[sttdemo.Primary]); n != 1 {
			t.Errorf("primary got %d requests, want 1: a timeout is not retried", n)
		}
	})

	t.Run("corrupt audio not retried", func(t *testing.T) {
		c := cmds[3]
		if c.Provider != "" || c.Notice == nil {
			t.Fatalf("answered by %q, notice %v; want a notice", c.Provider, c.Notice)
		}
		if c.Notice.Code != "ERR-InvalidAudio" || c.Notice.Retryable {
			t.Errorf("notice = %+v, want ERR-InvalidAudio, not retryable", *c.Notice)
		}
		if !strings.Contains(c.Told, "say the command again") {
			t.Errorf("Told = %q, want a request to repeat the command", c.Told)
		}
		if p, f := len(c.Requests[sttdemo.Primary]), len(c.Requests[sttdemo.Fallback]); p != 1 || f != 0 {
			t.Errorf("requests: primary %d, fallback %d; want 1 and 0", p, f)
		}
	})

	t.Run("outage opens the circuit", func(t *testing.T) {
		c := cmds[4]
		primary := c.Requests[sttdemo.Primary]
		if c.Provider != sttdemo.Fallback {
			t.Errorf("answered by %q, want fallback", c.Provider)
		}
		// The earlier timeout is the first of the 5 consecutive failures.
		if len(primary) != 4 || !sameBody(primary) {
			t.Errorf("primary requests = %+v, want 4 identical ones", primary)
		}
		if len(res.Transitions) == 0 || res.Transitions[0].To != breaker.StateOpen {
			t.Errorf("Transitions = %+v, want the primary opened first", res.Transitions)
		}
	})

	t.Run("opening narrated after its attempt", func(t *testing.T) {
		lines := strings.Split(account.String(), "\n")
		opened := lineIndex(lines, "primary circuit opened after")
		attempt4 := lineIndex(lines, "primary attempt 4: 503")
		if opened < 0 || attempt4 < 0 || opened < attempt4 {
			t.Fatalf("opening at line %d, attempt 4 at line %d; want the opening after", opened,
				attempt4)
		}
		if !strings.Contains(lines[opened], "after 5 consecutive failures") {
			t.Errorf("opening line = %q, want 5 consecutive failures", lines[opened])
		}
		counted := lines[opened+1]
		if !strings.Contains(counted, `no answer within 1s for "what is on my calendar today"`) {
			t.Errorf("counted line = %q, want the earlier timeout", counted)
		}
		if !strings.Contains(counted, "503 service_unavailable on 4 attempts") {
			t.Errorf("counted line = %q, want the 4 failed attempts", counted)
		}
		if !strings.Contains(lines[opened+2], "not counted") ||
			!strings.Contains(lines[opened+2], "400 invalid_audio") {
			t.Errorf("line after the counted ones = %q, want the corrupt recording not counted",
				lines[opened+2])
		}
	})

	t.Run("open circuit skips primary", func(t *testing.T) {
		c := cmds[5]
		if c.Provider != sttdemo.Fallback || len(c.Requests[sttdemo.Primary]) != 0 {
			t.Errorf("answered by %q after %d primary requests, want fallback after none",
				c.Provider, len(c.Requests[sttdemo.Primary]))
		}
	})

	t.Run("quota not retried", func(t *testing.T) {
		c := cmds[6]
		if c.Notice == nil || c.Notice.Code != "ERR-QuotaExceeded" || c.Notice.Retryable {
			t.Fatalf("notice = %+v, want ERR-QuotaExceeded, not retryable", c.Notice)
		}
		if n := len(c.Requests[sttdemo.Fallback]); n != 1 {
			t.Errorf("fallback got %d requests, want 1", n)
		}
		if !strings.Contains(c.Told, "billing of your OpenAI account") {
			t.Errorf("Told = %q, want a pointer to the OpenAI account's billing", c.Told)
		}
		if strings.Contains(c.Told, sttdemo.Fallback) {
			t.Errorf("Told = %q, want no internal provider name", c.Told)
		}
	})

	t.Run("probe closes the circuit", func(t *testing.T) {
		c := cmds[7]
		if c.Provider != sttdemo.Primary {
			t.Errorf("answered by %q, want primary", c.Provider)
		}
		var states []breaker.State
		for _, tr := range res.Transitions {
			states = append(states, tr.To)
		}
		want := []breaker.State{breaker.StateOpen, breaker.StateHalfOpen, breaker.StateClosed}
		if len(states) != 3 || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] {
			t.Errorf("transitions = %v, want %v", states, want)
		}
	})

	if got := strings.Count(logs.String(), "level=WARN"); got != 4 {
		t.Errorf("logged %d warnings, want one per fallback, 4:\n%s", got, logs.String())
	}
	if got := strings.Count(logs.String(), "level=ERROR"); got != 2 {
		t.Errorf("logged %d errors, want one per failed command, 2:\n%s", got, logs.String())
	}
}
