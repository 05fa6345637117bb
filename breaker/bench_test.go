package breaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/cowork-ai/resilience/breaker"
)

// The gobreaker sub-benchmarks call gobreaker v2 directly with the same
// settings, as the baseline for the cost the breaker adds.

func newBenchBreaker(b *testing.B) *breaker.Breaker {
	b.Helper()
	br, err := breaker.New("bench", breaker.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return br
}

func newBenchGobreaker() *gobreaker.CircuitBreaker[struct{}] {
	return gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name: "bench",
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= 5
		},
	})
}

func gobreakerOK() (struct{}, error)   { return struct{}{}, nil }
func gobreakerFail() (struct{}, error) { return struct{}{}, errService }

func BenchmarkExecuteClosed(b *testing.B) {
	ctx := context.Background()
	b.Run("breaker", func(b *testing.B) {
		br := newBenchBreaker(b)
		b.ReportAllocs()
		for b.Loop() {
			_ = br.Execute(ctx, succeed)
		}
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := newBenchGobreaker()
		b.ReportAllocs()
		for b.Loop() {
			_, _ = cb.Execute(gobreakerOK)
		}
	})
}

func BenchmarkExecuteClosedParallel(b *testing.B) {
	ctx := context.Background()
	b.Run("breaker", func(b *testing.B) {
		br := newBenchBreaker(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = br.Execute(ctx, succeed)
			}
		})
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := newBenchGobreaker()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = cb.Execute(gobreakerOK)
			}
		})
	})
}

func BenchmarkExecuteOpen(b *testing.B) {
	ctx := context.Background()
	b.Run("breaker", func(b *testing.B) {
		br := newBenchBreaker(b)
		for range 5 {
			_ = br.Execute(ctx, fail)
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = br.Execute(ctx, succeed)
		}
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := newBenchGobreaker()
		for range 5 {
			_, _ = cb.Execute(gobreakerFail)
		}
		b.ReportAllocs()
		for b.Loop() {
			_, _ = cb.Execute(gobreakerOK)
		}
	})
}

func BenchmarkExecuteOpenParallel(b *testing.B) {
	ctx := context.Background()
	br := newBenchBreaker(b)
	for range 5 {
		_ = br.Execute(ctx, fail)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = br.Execute(ctx, succeed)
		}
	})
}

func BenchmarkExecuteValueClosed(b *testing.B) {
	ctx := context.Background()
	br := newBenchBreaker(b)
	op := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		_, _ = breaker.ExecuteValue(ctx, br, op)
	}
}

// BenchmarkExecuteClosedPaired alternates batches of calls through the
// breaker and through gobreaker directly, so that load from other
// processes falls on both alike, and reports the ratio of their times.
func BenchmarkExecuteClosedPaired(b *testing.B) {
	ctx := context.Background()
	br := newBenchBreaker(b)
	cb := newBenchGobreaker()
	const batch = 128
	var ours, direct time.Duration
	calls := 0
	for b.Loop() {
		start := time.Now()
		for range batch {
			_ = br.Execute(ctx, succeed)
		}
		ours += time.Since(start)
		start = time.Now()
		for range batch {
			_, _ = cb.Execute(gobreakerOK)
		}
		direct += time.Since(start)
		calls += batch
	}
	b.ReportMetric(float64(ours)/float64(calls), "breaker-ns/call")
	b.ReportMetric(float64(direct)/float64(calls), "gobreaker-ns/call")
	b.ReportMetric(float64(ours)/float64(direct), "ratio")
}
