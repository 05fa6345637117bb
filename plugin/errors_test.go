package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/internal/classify"
	"github.com/cowork-ai/resilience/plugin"
)

func TestReasonLabelsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range plugin.Reasons() {
		s := r.String()
		if seen[s] || strings.HasPrefix(s, "Reason(") {
			t.Errorf("Reason %d label %q is a duplicate or unnamed", int(r), s)
		}
		seen[s] = true
		msg := (&plugin.RejectedError{Plugin: "p", Reason: r}).Error()
		if !strings.HasPrefix(msg, `plugin: rejected plugin "p": `) || strings.HasSuffix(msg, ": ") {
			t.Errorf("RejectedError{Reason: %v}.Error() = %q", r, msg)
		}
	}
	if got := plugin.Reason(99).String(); got != "Reason(99)" {
		t.Errorf("Reason(99).String() = %q, want Reason(99)", got)
	}
}

func TestOutcomeCodes(t *testing.T) {
	want := map[plugin.Outcome]string{
		plugin.OutcomeCrashed:     "ERR-PluginCrashed",
		plugin.OutcomeTimeout:     "ERR-PluginTimeout",
		plugin.OutcomeCanceled:    "ERR-PluginCanceled",
		plugin.OutcomeMalformed:   "ERR-PluginProtocol",
		plugin.OutcomeStartFailed: "ERR-PluginStartFailed",
	}
	for _, o := range plugin.Outcomes() {
		if strings.HasPrefix(o.String(), "Outcome(") {
			t.Errorf("Outcome %d has no label", int(o))
		}
		if o == plugin.OutcomeOK {
			continue
		}
		err := &plugin.RunError{Plugin: "p", Outcome: o, ExitCode: 2}
		if err.Code() != want[o] {
			t.Errorf("RunError{Outcome: %v}.Code() = %q, want %q", o, err.Code(), want[o])
		}
	}
	timeout := &plugin.RunError{Plugin: "p", Outcome: plugin.OutcomeTimeout, ExitCode: -1, Signal: "killed"}
	if !errors.Is(timeout, context.DeadlineExceeded) {
		t.Error("a timeout RunError does not match context.DeadlineExceeded")
	}
	if got := timeout.Error(); got != `plugin: plugin "p" timed out (signal killed)` {
		t.Errorf("Error() = %q", got)
	}
}

func TestMissingDependencyMessage(t *testing.T) {
	err := &plugin.MissingDependencyError{Plugin: "p", Missing: []plugin.Dependency{
		{Kind: plugin.DependencyExecutable, Name: "ffmpeg", Hint: "install ffmpeg"},
		{Kind: plugin.DependencyEnv, Name: "API_URL", Hint: "set API_URL"},
	}}
	want := `plugin: plugin "p" is missing 2 dependencies: executable "ffmpeg" (install ffmpeg); env "API_URL" (set API_URL)`
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestErrorsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"rejected signature", &plugin.RejectedError{Reason: plugin.ReasonSignatureInvalid}, false},
		{"rejected file", &plugin.RejectedError{Reason: plugin.ReasonFileMismatch}, false},
		{"unreadable directory", &plugin.RejectedError{Reason: plugin.ReasonIO}, true},
		{"missing dependency", &plugin.MissingDependencyError{Plugin: "p"}, false},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("load: %w", tt.err)
		if got := classify.Retryable(wrapped); got != tt.want {
			t.Errorf("%s: Retryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
