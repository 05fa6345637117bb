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
	out.Reset()
	if err := n.WriteSummary(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PATH") ||
		!strings.HasPrefix(lines[1], "stt ") || !strings.HasSuffix(lines[1], "nothing") {
		t.Errorf("summary:\n%s", out.String())
	}
}

func TestJSONLines(t *testing.T) {
	var out strings.Builder
	n := narrate.New(&out, true)
	n.Notice("plan", "ERR-StepTimeout", "Step timed out.", false)
	n.Outcome(narrate.Row{Path: "plan", Failure: "f", Recovery: "r", Told: "t"})
	var kinds []string
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		kinds = append(kinds, m["kind"].(string))
		if m["kind"] == "notice" && (m["code"] != "ERR-StepTimeout" || m["retryable"] != false) {
			t.Errorf("notice = %v, want code and retryable false", m)
		}
	}
	if strings.Join(kinds, ",") != "notice,outcome" {
		t.Errorf("kinds = %v, want notice,outcome", kinds)
	}
	var summary strings.Builder
	if err := n.WriteSummary(&summary); err != nil || summary.Len() != 0 {
		t.Errorf("WriteSummary in JSON mode wrote %q, %v; want nothing", summary.String(), err)
	}
}
