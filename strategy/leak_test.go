package strategy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/strategy"
	"go.uber.org/goleak"
)

// These tests use real time because goleak inspects the whole process,
// and they keep every duration short.

func TestNoGoroutineOutlivesPlan(t *testing.T) {
	tests := []struct {
		name  string
		cfg   strategy.Config
		steps []strategy.Step
	}{
		{"success", strategy.Config{}, []strategy.Step{
			{Name: "click", Strategies: []strategy.Strategy{succeed("vision")}}}},
		{"fallback and abort with rollback", strategy.Config{}, []strategy.Step{
			{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
				Undo: func(context.Context) error { return nil }},
			{Name: "click", Strategies: []strategy.Strategy{
				fail("vision", errors.New("no match")), fail("ui", errors.New("no tree"))}}}},
		{"timeout of a cooperative strategy", strategy.Config{}, []strategy.Step{
			{Name: "click", Timeout: 20 * time.Millisecond,
				Strategies: []strategy.Strategy{sleepy("vision", time.Hour)}}}},
		{"pause then abort with probe", strategy.Config{
			Probe:         func(context.Context) error { return strategy.EnvironmentChanged("window closed") },
			ProbeInterval: time.Millisecond,
			Prompter: strategy.PrompterFunc(func(context.Context, strategy.PauseInfo) (strategy.Decision, error) {
				return strategy.DecisionAbort, nil
			}),
		}, []strategy.Step{
			{Name: "click", Strategies: []strategy.Strategy{sleepy("vision", time.Hour)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			p := mustNew(t, tt.cfg, tt.steps...)
			res, _ := p.Run(context.Background())
			if res.Running() != 0 || res.Abandoned != 0 {
				t.Errorf("Running = %d, Abandoned = %d, want 0 and 0", res.Running(), res.Abandoned)
			}
		})
	}
}

func TestAbandonedGoroutineAccounted(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	release := make(chan struct{})
	stuck := strategy.Func("vision", func(context.Context) error {
		<-release
		return nil
	})
	p := mustNew(t, strategy.Config{CancelGrace: time.Millisecond},
		strategy.Step{Name: "click", Timeout: 10 * time.Millisecond, Strategies: []strategy.Strategy{stuck}})
	before := goleak.IgnoreCurrent()
	res, _ := p.Run(context.Background())

	if res.Running() != 1 {
		t.Fatalf("Running = %d, want 1", res.Running())
	}
	if err := goleak.Find(before); err == nil {
		t.Error("goleak found no goroutine left by the abandoned attempt")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	err := res.Wait(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait before release = %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := res.Wait(context.Background()); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if res.Running() != 0 {
		t.Errorf("Running after Wait = %d, want 0", res.Running())
	}
}
