package benchmarks

import (
	"context"
	"errors"
	"testing"
	"time"

	eapachebreaker "github.com/eapache/go-resiliency/breaker"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"
)

// benchBreaker is one circuit breaker set up for the benchmarks: it opens
// after 5 consecutive failures and stays open for an hour, so a tripped
// breaker rejects every call of the run.
type benchBreaker struct {
	Name string
	New  func() func(ctx context.Context, op func(context.Context) error) error
}

var peerBenchBreakers = []benchBreaker{
	{"gobreaker", func() func(context.Context, func(context.Context) error) error {
		cb := gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
			Name:        "bench",
			Timeout:     time.Hour,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 5 },
		})
		return func(ctx context.Context, op func(context.Context) error) error {
			_, err := cb.Execute(func() (any, error) { return nil, op(ctx) })
			return err
		}
	}},
	{"failsafe-go", func() func(context.Context, func(context.Context) error) error {
		cb := circuitbreaker.NewBuilder[any]().WithFailureThreshold(5).WithDelay(time.Hour).Build()
		return func(ctx context.Context, op func(context.Context) error) error {
			return failsafe.With[any](cb).WithContext(ctx).Run(func() error { return op(ctx) })
		}
	}},
	{"eapache", func() func(context.Context, func(context.Context) error) error {
		cb := eapachebreaker.New(5, 1, time.Hour)
		return func(ctx context.Context, op func(context.Context) error) error {
			return cb.Run(func() error { return op(ctx) })
		}
	}},
}

var errDown = errors.New("service down")

// BenchmarkBreakerClosed measures a successful call through a closed
// breaker.
func BenchmarkBreakerClosed(b *testing.B) {
	ctx := context.Background()
	op := func(context.Context) error { return nil }
	for _, br := range benchBreakers {
		b.Run("lib="+br.Name, func(b *testing.B) {
			call := br.New()
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBreakerClosedParallel is BenchmarkBreakerClosed from every
// goroutine of b.RunParallel at once.
func BenchmarkBreakerClosedParallel(b *testing.B) {
	op := func(context.Context) error { return nil }
	for _, br := range benchBreakers {
		b.Run("lib="+br.Name, func(b *testing.B) {
			call := br.New()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := call(ctx, op); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkBreakerOpen measures the rejection of a call by an open breaker.
func BenchmarkBreakerOpen(b *testing.B) {
	ctx := context.Background()
	fail := func(context.Context) error { return errDown }
	for _, br := range benchBreakers {
		b.Run("lib="+br.Name, func(b *testing.B) {
			call := br.New()
			for range 5 {
				call(ctx, fail)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, fail); err == nil || errors.Is(err, errDown) {
					b.Fatalf("call ran through the open breaker: %v", err)
				}
			}
		})
	}
}

// BenchmarkBreakerOpenParallel is BenchmarkBreakerOpen from every goroutine
// of b.RunParallel at once.
func BenchmarkBreakerOpenParallel(b *testing.B) {
	fail := func(context.Context) error { return errDown }
	for _, br := range benchBreakers {
		b.Run("lib="+br.Name, func(b *testing.B) {
			call := br.New()
			for range 5 {
				call(context.Background(), fail)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := call(ctx, fail); err == nil || errors.Is(err, errDown) {
						b.Errorf("call ran through the open breaker: %v", err)
						return
					}
				}
			})
		})
	}
}
