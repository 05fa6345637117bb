package strategy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/strategy"
)

func TestNewRejectsInvalid(t *testing.T) {
	ok := succeed("ui")
	many := make([]strategy.Strategy, 65)
	for i := range many {
		many[i] = succeed(string(rune('A' + i)))
	}
	tests := []struct {
		name  string
		cfg   strategy.Config
		step  strategy.Step
		field string
	}{
		{"negative probe interval", strategy.Config{ProbeInterval: -1}, strategy.Step{}, "ProbeInterval"},
		{"negative grace", strategy.Config{CancelGrace: -1}, strategy.Step{}, "CancelGrace"},
		{"negative abandon wait", strategy.Config{AbandonWait: -1}, strategy.Step{}, "AbandonWait"},
		{"negative undo timeout", strategy.Config{UndoTimeout: -time.Second}, strategy.Step{}, "UndoTimeout"},
		{"empty name", strategy.Config{}, strategy.Step{Strategies: []strategy.Strategy{ok}}, "Step[0].Name"},
		{"no strategies", strategy.Config{}, strategy.Step{Name: "a"}, "Step[0].Strategies"},
		{"too many strategies", strategy.Config{}, strategy.Step{Name: "a", Strategies: many}, "Step[0].Strategies"},
		{"nil strategy", strategy.Config{}, strategy.Step{Name: "a", Strategies: []strategy.Strategy{nil}},
			"Step[0].Strategies[0]"},
		{"nil func", strategy.Config{}, strategy.Step{Name: "a",
			Strategies: []strategy.Strategy{strategy.Func("x", nil)}}, "Step[0].Strategies[0]"},
		{"nil pointer strategy", strategy.Config{}, strategy.Step{Name: "a",
			Strategies: []strategy.Strategy{(*counted)(nil)}}, "Step[0].Strategies[0].Name"},
		{"empty strategy name", strategy.Config{}, strategy.Step{Name: "a",
			Strategies: []strategy.Strategy{succeed("")}}, "Step[0].Strategies[0]"},
		{"duplicate name", strategy.Config{}, strategy.Step{Name: "a",
			Strategies: []strategy.Strategy{ok, succeed("ui")}}, "Step[0].Strategies[1]"},
		{"negative timeout", strategy.Config{}, strategy.Step{Name: "a", Timeout: -1,
			Strategies: []strategy.Strategy{ok}}, "Step[0].Timeout"},
		{"unknown policy", strategy.Config{}, strategy.Step{Name: "a", OnFailure: 9,
			Strategies: []strategy.Strategy{ok}}, "Step[0].OnFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := []strategy.Step{tt.step}
			if tt.step.Name == "" && tt.step.Strategies == nil {
				steps = nil
			}
			_, err := strategy.New(tt.cfg, steps...)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("New = %v, want an error naming %s", err, tt.field)
			}
		})
	}
}

func TestNewRankerRejectsInvalid(t *testing.T) {
	tests := []struct {
		cfg   strategy.RankerConfig
		field string
	}{
		{strategy.RankerConfig{Window: 65}, "Window"},
		{strategy.RankerConfig{Window: -1}, "Window"},
		{strategy.RankerConfig{MaxKinds: -1}, "MaxKinds"},
		{strategy.RankerConfig{Explore: 1.5}, "Explore"},
		{strategy.RankerConfig{Explore: -0.1}, "Explore"},
	}
	for _, tt := range tests {
		if _, err := strategy.NewRanker(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("NewRanker(%+v) = %v, want an error naming %s", tt.cfg, err, tt.field)
		}
	}
}

func TestNewCopiesSteps(t *testing.T) {
	strats := []strategy.Strategy{succeed("ui")}
	steps := []strategy.Step{{Name: "click", Strategies: strats}}
	p := mustNew(t, strategy.Config{}, steps...)
	strats[0] = nil
	steps[0].Name = ""
	res, err := p.Run(context.Background())
	if err != nil || res.Steps[0].Name != "click" {
		t.Errorf("Run after changing the inputs = %v, step %q, want success for click", err, res.Steps[0].Name)
	}
}

func TestEnumStrings(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range strategy.EventKinds() {
		s := k.String()
		if strings.HasPrefix(s, "EventKind(") || seen[s] {
			t.Errorf("EventKind %d String = %q, want a distinct name", int(k), s)
		}
		seen[s] = true
	}
	if got := strategy.EventKind(99).String(); got != "EventKind(99)" {
		t.Errorf("EventKind(99).String() = %q", got)
	}
	for _, o := range strategy.Outcomes() {
		if strings.HasPrefix(o.String(), "Outcome(") {
			t.Errorf("Outcome %d has no name", int(o))
		}
	}
	for _, s := range strategy.StepStatuses() {
		if strings.HasPrefix(s.String(), "StepStatus(") {
			t.Errorf("StepStatus %d has no name", int(s))
		}
	}
	if len(strategy.EventKinds()) != int(strategy.EventPlanEnd)+1 {
		t.Errorf("EventKinds has %d kinds, want %d", len(strategy.EventKinds()), int(strategy.EventPlanEnd)+1)
	}
	if len(strategy.Outcomes()) != int(strategy.OutcomeCanceled)+1 {
		t.Errorf("Outcomes has %d values, want %d", len(strategy.Outcomes()), int(strategy.OutcomeCanceled)+1)
	}
}

func TestZeroErrorsFormat(t *testing.T) {
	// Errors built by callers, such as in their own tests, may leave Err
	// nil, and formatting them must not panic.
	for _, err := range []error{&strategy.PlanError{}, &strategy.StepError{},
		&strategy.EnvironmentChangedError{}, &strategy.PanicError{}} {
		if msg := err.Error(); !strings.HasPrefix(msg, "strategy: ") {
			t.Errorf("%T.Error() = %q, want the strategy: prefix", err, msg)
		}
	}
}
