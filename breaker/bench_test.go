package breaker_test

import (
	"context"
	"testing"

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
