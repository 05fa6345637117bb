package benchmarks

import (
	"context"
	"errors"
	"testing"

	avast "github.com/avast/retry-go/v4"
	cenkalti "github.com/cenkalti/backoff/v4"
	"github.com/eapache/go-resiliency/retrier"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	sethvargo "github.com/sethvargo/go-retry"
)

// benchRetrier runs op with up to two retries and no delay between them,
// the way one library would be set up for the benchmarks.
type benchRetrier struct {
	Name string
	New  func() func(ctx context.Context, op func(context.Context) error) error
}

var peerBenchRetriers = []benchRetrier{
	{"cenkalti", func() func(context.Context, func(context.Context) error) error {
		return func(ctx context.Context, op func(context.Context) error) error {
			// A BackOff holds per-call state, so each call makes its own.
			b := cenkalti.WithMaxRetries(&cenkalti.ZeroBackOff{}, 2)
			return cenkalti.Retry(func() error { return op(ctx) }, b)
		}
	}},
	{"failsafe-go", func() func(context.Context, func(context.Context) error) error {
		policy := retrypolicy.NewBuilder[any]().WithMaxRetries(2).Build()
		return func(ctx context.Context, op func(context.Context) error) error {
			return failsafe.With[any](policy).WithContext(ctx).Run(func() error { return op(ctx) })
		}
	}},
	{"avast", func() func(context.Context, func(context.Context) error) error {
		return func(ctx context.Context, op func(context.Context) error) error {
			return avast.Do(func() error { return op(ctx) },
				avast.Attempts(3), avast.Delay(0), avast.DelayType(avast.FixedDelay), avast.Context(ctx))
		}
	}},
	{"sethvargo", func() func(context.Context, func(context.Context) error) error {
		return func(ctx context.Context, op func(context.Context) error) error {
			// Its backoffs count attempts, so each call makes its own.
			b := sethvargo.WithMaxRetries(2, sethvargo.NewConstant(1))
			return sethvargo.Do(ctx, b, func(ctx context.Context) error {
				return sethvargo.RetryableError(op(ctx))
			})
		}
	}},
	{"eapache", func() func(context.Context, func(context.Context) error) error {
		r := retrier.New(retrier.ConstantBackoff(2, 0), nil)
		return func(ctx context.Context, op func(context.Context) error) error {
			return r.RunCtx(ctx, op)
		}
	}},
}

var errTransient = errors.New("transient")

// BenchmarkRetryFirstTry measures a call whose operation succeeds at once:
// the cost every successful call pays for being wrapped.
func BenchmarkRetryFirstTry(b *testing.B) {
	ctx := context.Background()
	op := func(context.Context) error { return nil }
	b.Run("lib=direct-call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := op(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, r := range benchRetriers {
		b.Run("lib="+r.Name, func(b *testing.B) {
			call := r.New()
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRetryTwoRetries measures a call that fails twice and then
// succeeds, with no delay between attempts.
func BenchmarkRetryTwoRetries(b *testing.B) {
	ctx := context.Background()
	for _, r := range benchRetriers {
		b.Run("lib="+r.Name, func(b *testing.B) {
			call := r.New()
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				err := call(ctx, func(context.Context) error {
					if n++; n < 3 {
						return errTransient
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRetryFirstTryParallel is BenchmarkRetryFirstTry with one
// prepared policy shared by every goroutine.
func BenchmarkRetryFirstTryParallel(b *testing.B) {
	op := func(context.Context) error { return nil }
	for _, r := range benchRetriers {
		b.Run("lib="+r.Name, func(b *testing.B) {
			call := r.New()
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
