package plugindemo_test

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/examples/plugin/plugindemo"
	"github.com/cowork-ai/resilience/plugin"
)

func TestMain(m *testing.M) {
	// The scenario re-executes this test binary as its plugins.
	plugindemo.ServeIfPlugin()
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	var logs bytes.Buffer
	var verified []plugin.VerifyEvent
	res, err := plugindemo.Run(t.Context(), plugindemo.Config{
		Scale:    0.01,
		Dir:      t.TempDir(),
		Logger:   slog.New(slog.NewJSONHandler(&logs, nil)),
		OnVerify: func(e plugin.VerifyEvent) { verified = append(verified, e) },
	})
	if err != nil {
		t.Fatal(err)
	}

	if res.Words != 7 {
		t.Errorf("Words = %d, want 7 from the signed plugin", res.Words)
	}
	if res.Tampered != plugin.ReasonFileMismatch {
		t.Errorf("Tampered = %s, want file_mismatch", res.Tampered)
	}
	if !strings.Contains(logs.String(), `"event":"plugin.verify_failed"`) {
		t.Errorf("logs lack the security event:\n%s", logs.String())
	}
	if len(verified) != 4 {
		t.Errorf("OnVerify called %d times, want 4", len(verified))
	}

	var missing []string
	for _, d := range res.Missing {
		missing = append(missing, d.Name)
	}
	if want := []string{"resilience-example-ocr", "OCR_MODEL_PATH"}; !slices.Equal(missing, want) {
		t.Errorf("Missing = %v, want %v", missing, want)
	}

	if res.Hang != plugin.OutcomeTimeout || !res.HangKilled {
		t.Errorf("hanging plugin ended %s, killed %v; want timeout and killed",
			res.Hang, res.HangKilled)
	}

	var codes []string
	for _, n := range res.Notices {
		codes = append(codes, n.Code)
	}
	want := []string{"ERR-PluginRejected", "ERR-MissingDependency", "ERR-PluginTimeout"}
	if !slices.Equal(codes, want) {
		t.Errorf("notice codes = %v, want %v", codes, want)
	}
	wantTold := []string{"was blocked", "needs executable resilience-example-ocr",
		"stopped responding"}
	for i, want := range wantTold {
		if i >= len(res.Told) || !strings.Contains(res.Told[i], want) {
			t.Errorf("Told = %q, want message %d to mention %q", res.Told, i, want)
		}
	}
}
