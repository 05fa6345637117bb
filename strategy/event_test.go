package strategy_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cowork-ai/resilience/strategy"
)

func TestEventFields(t *testing.T) {
	errNoMatch := errors.New("no match")
	var rec recorder
	p := mustNew(t, strategy.Config{Name: "send mail", OnEvent: rec.on}, strategy.Step{
		Name: "click send", Kind: "click", Target: "mail",
		Strategies: []strategy.Strategy{fail("vision", errNoMatch), succeed("ui")},
	})
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, e := range rec.events {
		if e.Plan != "send mail" {
			t.Errorf("%v event Plan = %q, want send mail", e.Kind, e.Plan)
		}
		if e.Kind == strategy.EventPlanStart || e.Kind == strategy.EventPlanEnd {
			continue
		}
		if e.Step != "click send" || e.StepKind != "click" || e.Target != "mail" || e.Index != 0 {
			t.Errorf("%v event = %+v, want step click send, kind click, target mail, index 0", e.Kind, e)
		}
	}
	ends := rec.of(strategy.EventAttemptEnd)
	if len(ends) != 2 {
		t.Fatalf("%d attempt_end events, want 2", len(ends))
	}
	if e := ends[0]; e.Strategy != "vision" || e.Attempt != 1 || e.Outcome != strategy.OutcomeFailed ||
		e.Err != errNoMatch {
		t.Errorf("first attempt_end = %+v, want vision, attempt 1, failed with the error", e)
	}
	if e := ends[1]; e.Strategy != "ui" || e.Attempt != 2 || e.Outcome != strategy.OutcomeSucceeded {
		t.Errorf("second attempt_end = %+v, want ui, attempt 2, succeeded", e)
	}
	if e := rec.of(strategy.EventStepEnd)[0]; e.Status != strategy.StepSucceeded {
		t.Errorf("step_end Status = %v, want succeeded", e.Status)
	}
}

func TestConcurrentRunsShareRanker(t *testing.T) {
	rk, err := strategy.NewRanker(strategy.RankerConfig{Explore: 0.1, Seed: 7})
	if err != nil {
		t.Fatalf("NewRanker: %v", err)
	}
	p := mustNew(t, strategy.Config{Ranker: rk}, strategy.Step{
		Name: "click", ReadOnly: true,
		Strategies: []strategy.Strategy{fail("vision", errors.New("no match")), succeed("ui")},
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				res, err := p.Run(context.Background())
				if err != nil || res.Steps[0].Winner != "ui" {
					t.Errorf("Run = %v, winner %q, want ui", err, res.Steps[0].Winner)
				}
			}
		})
	}
	wg.Wait()
}

func TestEventHookPanicPropagates(t *testing.T) {
	p := mustNew(t, strategy.Config{OnEvent: func(e strategy.Event) {
		if e.Kind == strategy.EventAttemptEnd {
			panic("hook failed")
		}
	}}, strategy.Step{Name: "click", Strategies: []strategy.Strategy{succeed("ui")}})
	defer func() {
		if v := recover(); v != "hook failed" {
			t.Errorf("recovered %v, want the hook's panic", v)
		}
	}()
	p.Run(context.Background())
	t.Error("Run returned after its event hook panicked")
}
