package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	cenkalti "github.com/cenkalti/backoff/v4"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/retry"
)

var (
	sinkErr   error
	sinkCount int
	sinkTime  time.Time
)

// succeed is an operation that succeeds at once. It is not inlined, so the
// direct call costs what a call of any small function costs.
//
//go:noinline
func succeed(context.Context) error {
	sinkCount++
	return nil
}

// BenchmarkFirstTrySuccess compares the cost of a call that succeeds at
// once: the operation called directly, through Do, and through
// cenkalti/backoff v4's Retry.
func BenchmarkFirstTrySuccess(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = succeed(ctx)
		}
	})
	b.Run("Do", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = retry.Do(ctx, succeed)
		}
	})
	b.Run("Do/op_selects_on_Done", func(b *testing.B) {
		// An operation that looks at its context, as network calls do,
		// makes the attempt's context create its cancelable child.
		op := func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			default:
				return nil
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = retry.Do(ctx, op)
		}
	})
	b.Run("Do/options", func(b *testing.B) {
		budget, _ := retry.NewBudget(retry.BudgetConfig{})
		opts := []retry.Option{
			retry.WithSchedule(backoff.Storage()),
			retry.WithMaxAttempts(3),
			retry.WithBudget(budget),
			retry.OnRetry(func(retry.RetryEvent) {}),
		}
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = retry.Do(ctx, succeed, opts...)
		}
	})
	b.Run("DoValue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkCount, sinkErr = retry.DoValue(ctx, func(context.Context) (int, error) {
				return 1, nil
			})
		}
	})
	b.Run("reference/time.Now", func(b *testing.B) {
		// Do reads the clock once per call, to report the elapsed time.
		b.ReportAllocs()
		for b.Loop() {
			sinkTime = time.Now()
		}
	})
	b.Run("cenkalti", func(b *testing.B) {
		op := func() error { return succeed(ctx) }
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = cenkalti.Retry(op, cenkalti.NewExponentialBackOff())
		}
	})
	b.Run("cenkalti/shared_backoff", func(b *testing.B) {
		op := func() error { return succeed(ctx) }
		bo := cenkalti.NewExponentialBackOff()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = cenkalti.Retry(op, bo)
		}
	})
}

func BenchmarkFirstTrySuccessParallel(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var err error
		for pb.Next() {
			err = retry.Do(ctx, func(context.Context) error { return nil })
		}
		sinkErr = err
	})
}

// BenchmarkRetries measures a call that fails twice, with no delay, before
// it succeeds.
func BenchmarkRetries(b *testing.B) {
	ctx := context.Background()
	schedule := retry.WithSchedule(mustPolicy(b, backoff.Config{Kind: backoff.KindConstant}))
	failure := errors.New("unavailable")
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		sinkErr = retry.Do(ctx, func(context.Context) error {
			n++
			if n < 3 {
				return failure
			}
			return nil
		}, schedule)
	}
}

func BenchmarkParseRetryAfter(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{"120", "Thu, 01 Jan 2026 00:00:30 GMT"} {
		b.Run(v, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, _ := retry.ParseRetryAfter(v, now)
				sinkCount = int(d)
			}
		})
	}
}

func mustPolicy(t testing.TB, cfg backoff.Config) *backoff.Policy {
	t.Helper()
	p, err := backoff.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
