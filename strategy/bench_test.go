package strategy_test

import (
	"context"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/strategy"
)

// BenchmarkRunOneStep measures the overhead of a one-step plan whose
// first strategy succeeds at once.
func BenchmarkRunOneStep(b *testing.B) {
	p := mustNew(b, strategy.Config{}, strategy.Step{
		Name:       "click",
		Strategies: []strategy.Strategy{succeed("vision"), succeed("ui")},
	})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunOneStepParallel(b *testing.B) {
	p := mustNew(b, strategy.Config{}, strategy.Step{
		Name:       "click",
		Strategies: []strategy.Strategy{succeed("vision"), succeed("ui")},
	})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRunFallback measures a step whose first two strategies fail.
func BenchmarkRunFallback(b *testing.B) {
	errNoMatch := context.DeadlineExceeded
	p := mustNew(b, strategy.Config{OnEvent: func(strategy.Event) {}}, strategy.Step{
		Name: "click",
		Strategies: []strategy.Strategy{fail("vision", errNoMatch), fail("ui", errNoMatch),
			succeed("coords")},
	})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineHandoff is the floor under BenchmarkRunOneStep: the
// deadline context and goroutine hand-off that any runner enforcing a
// timeout on code that may ignore its context needs.
func BenchmarkBaselineHandoff(b *testing.B) {
	s := succeed("vision")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		actx, cancel := context.WithTimeout(ctx, time.Minute)
		done := make(chan error, 1)
		go func() { done <- s.Execute(actx) }()
		select {
		case <-done:
		case <-actx.Done():
		}
		cancel()
	}
}
