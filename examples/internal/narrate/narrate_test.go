package narrate_test

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
)

func TestNilNarratorIsSilent(t *testing.T) {
	var n *narrate.Narrator
	n.Info("stt", "x")
	n.Failure("stt", "x")
	n.Notice("stt", "ERR-X", "x", true)
	n.Outcome(narrate.Row{Path: "stt"})
	if n.Events() != nil || n.Rows() != nil {
		t.Error("nil Narrator recorded events")
	}
	if err := n.WriteSummary(&strings.Builder{}); err != nil {
		t.Error(err)
	}
}

func TestTextLines(t *testing.T) {
	var out strings.Builder
	n := narrate.New(&out, false)
	n.Failure("stt", "primary answered 429")
	n.Recovery("stt", "retrying in %s", "1s")
	n.Notice("stt", "ERR-RateLimited", "Busy;\nretrying.", true)
	n.Told("stt", "Back %s.", "online")
	want := "stt       FAILED   primary answered 429\n" +
		"stt       RECOVERY retrying in 1s\n" +
		"stt       USER SEES [ERR-RateLimited, retryable] Busy; retrying.\n" +
		"stt       USER SEES Back online.\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := len(n.Events()); got != 4 {
		t.Errorf("len(Events()) = %d, want 4", got)
	}
}

func TestSummaryTable(t *testing.T) {
	var out strings.Builder
	n := narrate.New(&out, false)
	n.Outcome(narrate.Row{Path: "stt", Failure: "429", Recovery: "waited", Told: "nothing"})
	n.Outcome(narrate.Row{Path: "plan", Failure: "f", Recovery: "r", Told: "Try again.",
		Codes: []string{"ERR-A", "ERR-B"}})
	out.Reset()
	if err := n.WriteSummary(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "PATH") ||
		!strings.HasPrefix(lines[1], "stt ") || !strings.HasSuffix(lines[1], "nothing") {
		t.Fatalf("summary:\n%s", out.String())
	}
	if !strings.HasSuffix(lines[2], "ERR-A, then ERR-B: Try again.") {
		t.Errorf("row = %q, want the codes before the message", lines[2])
	}
}

func TestJSONLines(t *testing.T) {
	var out strings.Builder
	n := narrate.New(&out, true)
	n.Notice("plan", "ERR-StepTimeout", "Step timed out.", false)
	n.Told("plan", "Resumed.")
	n.Failure("plan", "step failed")
	n.Outcome(narrate.Row{Path: "plan", Failure: "f", Recovery: "r", Told: "t",
		Codes: []string{"ERR-StepTimeout"}})
	n.Outcome(narrate.Row{Path: "plan", Failure: "f", Recovery: "r", Told: "nothing"})
	var kinds []string
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		kinds = append(kinds, m["kind"].(string))
		lines = append(lines, m)
	}
	if strings.Join(kinds, ",") != "notice,notice,failure,outcome,outcome" {
		t.Fatalf("kinds = %v, want notice,notice,failure,outcome,outcome", kinds)
	}
	if lines[0]["code"] != "ERR-StepTimeout" || lines[0]["retryable"] != false {
		t.Errorf("notice = %v, want its code and retryable false", lines[0])
	}
	for _, m := range lines[1:3] {
		code, hasCode := m["code"]
		retryable, hasRetryable := m["retryable"]
		if !hasCode || code != "" || !hasRetryable || retryable != false {
			t.Errorf("event = %v, want code \"\" and retryable false present", m)
		}
	}
	if lines[3]["told"] != "t" {
		t.Errorf("outcome told = %v, want the message alone", lines[3]["told"])
	}
	codes, ok := lines[3]["codes"].([]any)
	if !ok || len(codes) != 1 || codes[0] != "ERR-StepTimeout" {
		t.Errorf("outcome codes = %v, want [ERR-StepTimeout]", lines[3]["codes"])
	}
	if codes, ok := lines[4]["codes"].([]any); !ok || len(codes) != 0 {
		t.Errorf("outcome codes = %#v, want [] for a row without notices", lines[4]["codes"])
	}
	var summary strings.Builder
	if err := n.WriteSummary(&summary); err != nil || summary.Len() != 0 {
		t.Errorf("WriteSummary in JSON mode wrote %q, %v; want nothing", summary.String(), err)
	}
}
