package retry_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/retry"
)

// shapeCase is one random mix of limits for TestDoErrorShape. Durations
// are whole seconds, so that several limits often end at the same instant.
type shapeCase struct {
	delay, hint, maxHint, opTime time.Duration
	attemptTimeout, maxElapsed   time.Duration
	deadline, cancelAt           time.Duration // zero: none
	retries                      int
	withBudget, withGate         bool
}

func randomShapeCase(r *rand.Rand) shapeCase {
	sec := func(n int) time.Duration { return time.Duration(r.IntN(n)) * time.Second }
	return shapeCase{
		delay: sec(4), hint: sec(4), maxHint: sec(5), opTime: sec(4),
		attemptTimeout: sec(6), maxElapsed: sec(15), deadline: sec(15), cancelAt: sec(15),
		retries: 1 + r.IntN(5), withBudget: r.IntN(2) == 0, withGate: r.IntN(2) == 0,
	}
}

func (c shapeCase) options(t *testing.T) []retry.Option {
	opts := []retry.Option{
		retry.WithSchedule(mustPolicy(t, backoff.Config{
			Kind: backoff.KindConstant, Initial: c.delay, MaxRetries: c.retries,
		})),
		retry.WithAttemptTimeout(c.attemptTimeout),
		retry.WithMaxElapsed(c.maxElapsed),
		retry.WithMaxRetryAfter(c.maxHint),
	}
	if c.withBudget {
		opts = append(opts, retry.WithBudget(mustBudget(t, retry.BudgetConfig{Burst: 2})))
	}
	if c.withGate {
		opts = append(opts, retry.WithGate(mustGate(t, 0)))
	}
	return opts
}

// TestDoErrorShape runs Do under random mixes of every limit, several of
// which often end at the same instant. Whichever limit stops the call, the
// *Error must count the attempts and the time and keep the last error. It
// must also unwrap to the context error and cause that its reason implies.
func TestDoErrorShape(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	errCustom := errors.New("shutting down")
	for range 2000 {
		c := randomShapeCase(r)
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			if c.deadline > 0 {
				var cancelDeadline context.CancelFunc
				ctx, cancelDeadline = context.WithTimeout(ctx, c.deadline)
				defer cancelDeadline()
			}
			if c.cancelAt > 0 {
				time.AfterFunc(c.cancelAt, func() { cancel(errCustom) })
			}
			var last error
			attempts := 0
			start := time.Now()
			err := retry.Do(ctx, func(ctx context.Context) error {
				attempts++
				select {
				case <-time.After(c.opTime):
				case <-ctx.Done():
				}
				last = fmt.Errorf("attempt %d: %w", attempts, hintError{c.hint})
				return last
			}, c.options(t)...)
			checkShape(t, c, err, last, attempts, time.Since(start), errCustom)
		})
	}
}

func checkShape(t *testing.T, c shapeCase, err, last error, attempts int,
	took time.Duration, errCustom error) {
	t.Helper()
	e := asError(t, err)
	if e.Attempts != attempts || e.Elapsed != took {
		t.Errorf("%+v: Attempts, Elapsed = %d, %v; want %d, %v", c, e.Attempts, e.Elapsed,
			attempts, took)
	}
	// An attempt that hit its own timeout comes back wrapped.
	if e.Last != last && !errors.Is(e.Last, retry.ErrAttemptTimeout) ||
		!errors.Is(e.Last, last) {
		t.Errorf("%+v: Last = %v, want the last attempt's error %v", c, e.Last, last)
	}
	var want []error
	switch e.Reason {
	case retry.ReasonDeadline:
		want = []error{context.DeadlineExceeded}
	case retry.ReasonTimeBudget:
		want = []error{context.DeadlineExceeded, retry.ErrTimeBudgetExhausted}
	case retry.ReasonCanceled:
		want = []error{context.Canceled, errCustom}
	default:
		if e.ContextCause != nil {
			t.Errorf("%+v: %v: ContextCause = %v, want nil", c, e.Reason, e.ContextCause)
		}
	}
	for _, target := range want {
		if !errors.Is(err, target) {
			t.Errorf("%+v: errors.Is(%v, %v) = false, want true", c, err, target)
		}
	}
}
