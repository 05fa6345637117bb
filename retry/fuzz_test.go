package retry_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/retry"
)

// FuzzDoWaits checks the wait arithmetic of Do for any delays, server
// requests and limits: a call never runs past its deadline or time budget,
// never waits less than a request it honours, and always returns an
// *Error with a valid reason.
func FuzzDoWaits(f *testing.F) {
	f.Add(int64(time.Second), int64(0), int64(10*time.Second), int64(0), int64(time.Minute))
	f.Add(int64(math.MaxInt64), int64(0), int64(0), int64(math.MaxInt64), int64(0))
	f.Add(int64(1), int64(math.MaxInt64), int64(time.Hour), int64(0), int64(math.MaxInt64))
	f.Add(int64(0), int64(-5), int64(-1), int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, delay, hint, timeout, budget, maxHint int64) {
		policy, err := backoff.New(backoff.Config{
			Kind: backoff.KindConstant, Initial: time.Duration(max(delay, 0)), MaxRetries: 3,
		})
		if err != nil {
			t.Fatal(err)
		}
		opts := []retry.Option{
			retry.WithSchedule(policy),
			retry.WithMaxElapsed(time.Duration(max(budget, 0))),
			retry.WithMaxRetryAfter(time.Duration(max(maxHint, 0))),
		}
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(timeout))
				defer cancel()
			}
			start := time.Now()
			var starts []time.Duration
			err := retry.Do(ctx, func(context.Context) error {
				starts = append(starts, time.Since(start))
				return hintError{time.Duration(hint)}
			}, opts...)
			took := time.Since(start)

			var e *retry.Error
			if !errors.As(err, &e) || e.Reason.Code() == "ERR-Internal" {
				t.Fatalf("Do() = %v, want an *Error with a valid reason", err)
			}
			if timeout > 0 && took > time.Duration(timeout) {
				t.Errorf("Do took %v, past its %v deadline", took, time.Duration(timeout))
			}
			if budget > 0 && took > time.Duration(budget) {
				t.Errorf("Do took %v, past its %v time budget", took, time.Duration(budget))
			}
			for i := 1; i < len(starts); i++ {
				if gap := starts[i] - starts[i-1]; hint > 0 && gap < time.Duration(hint) {
					t.Errorf("attempt %d started %v after the previous, below the %v request",
						i+1, gap, time.Duration(hint))
				}
			}
		})
	})
}
