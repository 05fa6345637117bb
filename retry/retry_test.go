package retry_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/retry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var errUnavailable = errors.New("service unavailable")

// fixed returns a schedule without jitter that waits delay before each of
// retries retries (no limit when retries is zero).
func fixed(t testing.TB, delay time.Duration, retries int) retry.Option {
	return retry.WithSchedule(mustPolicy(t, backoff.Config{
		Kind: backoff.KindConstant, Initial: delay, MaxRetries: retries,
	}))
}

// failing returns an operation that fails with err every time and counts
// its attempts.
func failing(err error, attempts *int) func(context.Context) error {
	return func(context.Context) error {
		*attempts++
		return err
	}
}

// asError returns err as an *retry.Error or fails the test.
func asError(t *testing.T, err error) *retry.Error {
	t.Helper()
	var e *retry.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *retry.Error", err, err)
	}
	return e
}

func TestDoReturnsNilOnSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		attempts := 0
		err := retry.Do(t.Context(), func(context.Context) error {
			attempts++
			if attempts < 3 {
				return errUnavailable
			}
			return nil
		}, fixed(t, time.Second, 0))
		if err != nil {
			t.Fatalf("Do() = %v, want nil", err)
		}
		if attempts != 3 {
			t.Errorf("operation ran %d times, want 3", attempts)
		}
	})
}

func TestDoStopConditions(t *testing.T) {
	tests := []struct {
		name         string
		opts         []retry.Option
		opErr        error
		ctx          func(context.Context) (context.Context, context.CancelFunc)
		wantReason   retry.Reason
		wantAttempts int
		wantElapsed  time.Duration
		wantIs       []error
	}{
		{
			name:         "default schedule runs out",
			opErr:        errUnavailable,
			wantReason:   retry.ReasonAttemptsExhausted,
			wantAttempts: 6,
			wantIs:       []error{errUnavailable, retry.ErrAttemptsExhausted},
		},
		{
			name:         "max attempts below the schedule",
			opts:         []retry.Option{fixed(t, time.Second, 10), retry.WithMaxAttempts(3)},
			opErr:        errUnavailable,
			wantReason:   retry.ReasonAttemptsExhausted,
			wantAttempts: 3,
			wantElapsed:  2 * time.Second,
			wantIs:       []error{errUnavailable, retry.ErrAttemptsExhausted},
		},
		{
			name:         "schedule below max attempts",
			opts:         []retry.Option{fixed(t, time.Second, 2), retry.WithMaxAttempts(30)},
			opErr:        errUnavailable,
			wantReason:   retry.ReasonAttemptsExhausted,
			wantAttempts: 3,
			wantElapsed:  2 * time.Second,
			wantIs:       []error{errUnavailable},
		},
		{
			name:         "permanent error",
			opts:         []retry.Option{fixed(t, time.Second, 0)},
			opErr:        retry.Permanent(errUnavailable),
			wantReason:   retry.ReasonPermanent,
			wantAttempts: 1,
			wantIs:       []error{errUnavailable, retry.ErrNotRetryable},
		},
		{
			name:         "not retryable by classifier",
			opts:         []retry.Option{retry.WithClassifier(func(error) bool { return false })},
			opErr:        errUnavailable,
			wantReason:   retry.ReasonPermanent,
			wantAttempts: 1,
			wantIs:       []error{errUnavailable, retry.ErrNotRetryable},
		},
		{
			name:  "context deadline would pass",
			opts:  []retry.Option{fixed(t, 4*time.Second, 0)},
			opErr: errUnavailable,
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 10*time.Second)
			},
			wantReason:   retry.ReasonDeadline,
			wantAttempts: 3, // at 0, 4 and 8 s; a wait to 12 s would pass 10 s
			wantElapsed:  8 * time.Second,
			wantIs:       []error{errUnavailable, context.DeadlineExceeded},
		},
		{
			name:         "time budget would pass",
			opts:         []retry.Option{fixed(t, 4*time.Second, 0), retry.WithMaxElapsed(10 * time.Second)},
			opErr:        errUnavailable,
			wantReason:   retry.ReasonTimeBudget,
			wantAttempts: 3,
			wantElapsed:  8 * time.Second,
			wantIs: []error{errUnavailable, retry.ErrTimeBudgetExhausted,
				context.DeadlineExceeded},
		},
		{
			name: "retry budget empty",
			opts: []retry.Option{fixed(t, time.Second, 0), retry.WithBudget(mustBudget(t,
				retry.BudgetConfig{Ratio: 1e-9, MinPerSecond: 1e-9, Burst: 1}))},
			opErr:        errUnavailable,
			wantReason:   retry.ReasonBudgetExhausted,
			wantAttempts: 2,
			wantElapsed:  time.Second,
			wantIs:       []error{errUnavailable, retry.ErrBudgetExhausted},
		},
		{
			name:         "retry-after above the maximum",
			opts:         []retry.Option{fixed(t, time.Second, 0), retry.WithMaxRetryAfter(time.Minute)},
			opErr:        hintError{time.Hour},
			wantReason:   retry.ReasonRetryAfterTooLong,
			wantAttempts: 1,
			wantIs:       []error{hintError{time.Hour}, retry.ErrRetryAfterTooLong},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				if tt.ctx != nil {
					ctx, cancel = tt.ctx(ctx)
				}
				defer cancel()
				start := time.Now()
				attempts := 0
				err := retry.Do(ctx, failing(tt.opErr, &attempts), tt.opts...)
				elapsed := time.Since(start)

				e := asError(t, err)
				if e.Reason != tt.wantReason {
					t.Errorf("Reason = %v, want %v", e.Reason, tt.wantReason)
				}
				if e.Attempts != tt.wantAttempts || attempts != tt.wantAttempts {
					t.Errorf("Attempts = %d, operation ran %d times; want %d",
						e.Attempts, attempts, tt.wantAttempts)
				}
				if tt.wantElapsed != 0 && (elapsed != tt.wantElapsed || e.Elapsed != elapsed) {
					t.Errorf("Do took %v, Elapsed = %v; want %v", elapsed, e.Elapsed, tt.wantElapsed)
				}
				for _, target := range tt.wantIs {
					if !errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
					}
				}
			})
		})
	}
}

func TestDoDeadContextRunsNothing(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	canceled, cancelCause := context.WithCancelCause(context.Background())
	shutdown := errors.New("shutting down")
	cancelCause(shutdown)

	tests := []struct {
		name   string
		ctx    context.Context
		reason retry.Reason
		is     []error
	}{
		{"canceled with cause", canceled, retry.ReasonCanceled, []error{context.Canceled, shutdown}},
		{"deadline passed", expired, retry.ReasonDeadline, []error{context.DeadlineExceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attempts := 0
			err := retry.Do(tt.ctx, failing(errUnavailable, &attempts))
			if attempts != 0 {
				t.Errorf("operation ran %d times with a done context, want 0", attempts)
			}
			e := asError(t, err)
			if e.Reason != tt.reason || e.Attempts != 0 || e.Last != nil {
				t.Errorf("Do() = %+v, want Reason %v, 0 attempts, no Last", e, tt.reason)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
				}
			}
		})
	}
}

func TestDoKeepsLastErrorWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		shutdown := errors.New("shutting down")
		attempts := 0
		err := retry.Do(ctx, func(context.Context) error {
			attempts++
			if attempts == 2 {
				// Cancel during the wait that follows this attempt.
				time.AfterFunc(500*time.Millisecond, func() { cancel(shutdown) })
			}
			return fmt.Errorf("attempt %d: %w", attempts, errUnavailable)
		}, fixed(t, time.Second, 0))

		e := asError(t, err)
		if e.Reason != retry.ReasonCanceled {
			t.Errorf("Reason = %v, want %v", e.Reason, retry.ReasonCanceled)
		}
		if e.Attempts != 2 {
			t.Errorf("Attempts = %d, want 2", e.Attempts)
		}
		if e.Last == nil || e.Last.Error() != "attempt 2: service unavailable" {
			t.Errorf("Last = %v, want the error of attempt 2", e.Last)
		}
		if e.Elapsed != 1500*time.Millisecond {
			t.Errorf("Elapsed = %v, want 1.5s: the wait must end when the context does", e.Elapsed)
		}
		for _, target := range []error{errUnavailable, context.Canceled, shutdown} {
			if !errors.Is(err, target) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
			}
		}
	})
}

func TestDoContextEndsDuringAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		attempts := 0
		err := retry.Do(ctx, func(ctx context.Context) error {
			attempts++
			<-ctx.Done() // a slow operation that honours its context
			return ctx.Err()
		}, fixed(t, 0, 0))
		e := asError(t, err)
		if e.Reason != retry.ReasonDeadline || attempts != 1 {
			t.Errorf("Do() = %v after %d attempts, want ReasonDeadline after 1", err, attempts)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false, want true", err)
		}
	})
}

func TestDoPermanentErrorComesBackUnwrapped(t *testing.T) {
	errNotFound := errors.New("not found")
	tests := []struct {
		name     string
		opErr    error
		wantLast error
	}{
		{"marked", retry.Permanent(errNotFound), errNotFound},
		{"marked inside a wrap", fmt.Errorf("get: %w", retry.Permanent(errNotFound)), nil},
		{"marked twice", retry.Permanent(retry.Permanent(errNotFound)), errNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attempts := 0
			err := retry.Do(t.Context(), failing(tt.opErr, &attempts))
			e := asError(t, err)
			if attempts != 1 {
				t.Errorf("operation ran %d times, want 1", attempts)
			}
			if tt.wantLast != nil && e.Last != tt.wantLast {
				t.Errorf("Last = %#v, want the unmarked error %#v", e.Last, tt.wantLast)
			}
			if !errors.Is(err, errNotFound) {
				t.Errorf("errors.Is(%v, errNotFound) = false, want true", err)
			}
			if retry.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true, want false", err)
			}
		})
	}
	if retry.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil, want nil")
	}
}

func TestDoPermanentOverridesClassifier(t *testing.T) {
	attempts := 0
	always := retry.WithClassifier(func(error) bool { return true })
	err := retry.Do(t.Context(), failing(retry.Permanent(errUnavailable), &attempts), always)
	if attempts != 1 || asError(t, err).Reason != retry.ReasonPermanent {
		t.Errorf("Do() = %v after %d attempts, want ReasonPermanent after 1", err, attempts)
	}
}

func TestDoPermanentOverridesAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		attempts := 0
		err := retry.Do(t.Context(), func(ctx context.Context) error {
			attempts++
			<-ctx.Done()
			return retry.Permanent(ctx.Err())
		}, fixed(t, 0, 0), retry.WithAttemptTimeout(time.Second))
		if attempts != 1 {
			t.Errorf("operation ran %d times, want 1", attempts)
		}
		if e := asError(t, err); e.Reason != retry.ReasonPermanent {
			t.Errorf("Reason = %v, want %v", e.Reason, retry.ReasonPermanent)
		}
		if !errors.Is(err, retry.ErrAttemptTimeout) {
			t.Errorf("errors.Is(%v, ErrAttemptTimeout) = false, want true", err)
		}
	})
}

func TestDoHonoursRetryAfterAsFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var starts []time.Duration
		var events []retry.RetryEvent
		err := retry.Do(t.Context(), func(context.Context) error {
			starts = append(starts, time.Since(start))
			switch len(starts) {
			case 1:
				return hintError{3 * time.Second} // above the schedule's 1 s
			case 2:
				return hintError{time.Millisecond} // below it
			}
			return nil
		}, fixed(t, time.Second, 0), retry.OnRetry(func(ev retry.RetryEvent) {
			events = append(events, ev)
		}))
		if err != nil {
			t.Fatalf("Do() = %v, want nil", err)
		}
		want := []time.Duration{0, 3 * time.Second, 4 * time.Second}
		if fmt.Sprint(starts) != fmt.Sprint(want) {
			t.Errorf("attempts started at %v, want %v", starts, want)
		}
		if len(events) != 2 {
			t.Fatalf("OnRetry called %d times, want 2", len(events))
		}
		if ev := events[0]; ev.Reason != retry.RetryReasonRetryAfter ||
			ev.RetryAfter != 3*time.Second || ev.Delay != 3*time.Second {
			t.Errorf("event 1 = %+v, want Reason retry_after, RetryAfter and Delay 3s", ev)
		}
	})
}

func TestDoNeverWaitsPastDeadline(t *testing.T) {
	// A schedule whose delays come near the largest duration: adding
	// one to the elapsed time would overflow.
	huge := mustPolicy(t, backoff.Config{Kind: backoff.KindConstant, Initial: math.MaxInt64})
	tests := []struct {
		name   string
		opErr  error
		opts   []retry.Option
		ctx    func(context.Context) (context.Context, context.CancelFunc)
		reason retry.Reason
	}{
		{"far deadline", errUnavailable, []retry.Option{retry.WithSchedule(huge)},
			func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithDeadline(ctx, time.Now().Add(100*365*24*time.Hour))
			}, retry.ReasonDeadline},
		{"largest time budget", errUnavailable, []retry.Option{retry.WithSchedule(huge),
			retry.WithMaxElapsed(math.MaxInt64)}, nil, retry.ReasonTimeBudget},
		{"hint near the largest duration", hintError{math.MaxInt64 - 1}, []retry.Option{fixed(t, 0, 0),
			retry.WithMaxRetryAfter(math.MaxInt64)},
			func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, time.Hour)
			}, retry.ReasonDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				if tt.ctx != nil {
					ctx, cancel = tt.ctx(ctx)
				}
				defer cancel()
				start := time.Now()
				attempts := 0
				err := retry.Do(ctx, failing(tt.opErr, &attempts), tt.opts...)
				if took := time.Since(start); took != 0 {
					t.Errorf("Do waited %v, want an immediate return", took)
				}
				if e := asError(t, err); e.Reason != tt.reason {
					t.Errorf("Reason = %v, want %v", e.Reason, tt.reason)
				}
			})
		})
	}
}

func TestDoHighAttemptCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPolicy(t, backoff.Config{Initial: time.Second, Max: 32 * time.Second})
		start := time.Now()
		attempts := 0
		err := retry.Do(t.Context(), failing(errUnavailable, &attempts),
			retry.WithSchedule(p), retry.WithMaxAttempts(201))
		if e := asError(t, err); e.Reason != retry.ReasonAttemptsExhausted || attempts != 201 {
			t.Fatalf("Do() = %v after %d attempts, want exhaustion after 201", err, attempts)
		}
		// 1+2+4+8+16 s, then 195 waits at the 32 s cap: no overflow.
		if got, want := time.Since(start), (31+195*32)*time.Second; got != want {
			t.Errorf("200 retries took %v, want %v", got, want)
		}
	})
}

func TestDoJitterStaysWithinCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit = 32 * time.Second
		p := mustPolicy(t, backoff.Config{Max: limit, Jitter: backoff.JitterEqual})
		var delays []time.Duration
		attempts := 0
		retry.Do(t.Context(), failing(errUnavailable, &attempts), retry.WithSchedule(p),
			retry.WithMaxAttempts(100), retry.OnRetry(func(ev retry.RetryEvent) {
				delays = append(delays, ev.Delay)
			}))
		distinct := map[time.Duration]bool{}
		for i, d := range delays[10:] {
			if d < limit/2 || d > limit {
				t.Errorf("retry %d waited %v, want within [%v, %v]", i+11, d, limit/2, limit)
			}
			distinct[d] = true
		}
		if len(distinct) < 80 {
			t.Errorf("%d distinct waits at the cap, want at least 80", len(distinct))
		}
	})
}

func TestDoAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var causes []error
		var events []retry.RetryEvent
		attempts := 0
		start := time.Now()
		err := retry.Do(t.Context(), func(ctx context.Context) error {
			attempts++
			if attempts < 3 {
				<-ctx.Done() // hangs until its own deadline
				causes = append(causes, context.Cause(ctx))
				return ctx.Err()
			}
			return nil
		}, fixed(t, time.Second, 0), retry.WithAttemptTimeout(2*time.Second),
			retry.OnRetry(func(ev retry.RetryEvent) { events = append(events, ev) }))
		if err != nil {
			t.Fatalf("Do() = %v, want nil", err)
		}
		if got := time.Since(start); got != 6*time.Second {
			t.Errorf("Do took %v, want 6s (two 2 s timeouts, two 1 s waits)", got)
		}
		for i, cause := range causes {
			if cause != retry.ErrAttemptTimeout {
				t.Errorf("attempt %d: context cause = %v, want ErrAttemptTimeout", i+1, cause)
			}
		}
		for i, ev := range events {
			if ev.Reason != retry.RetryReasonAttemptTimeout {
				t.Errorf("event %d: Reason = %v, want attempt_timeout", i+1, ev.Reason)
			}
			if !errors.Is(ev.Err, retry.ErrAttemptTimeout) ||
				!errors.Is(ev.Err, context.DeadlineExceeded) {
				t.Errorf("event %d: Err = %v, want it to wrap ErrAttemptTimeout and "+
					"context.DeadlineExceeded", i+1, ev.Err)
			}
		}
	})
}

// TestDoAttemptTimeoutAtDeadline checks that an attempt timeout ending
// with the call's deadline or time budget leaves the call's limit in
// charge, as context.WithDeadline does for a later child deadline, so the
// result does not depend on which timer fires first. The loop repeats a
// race that went either way.
func TestDoAttemptTimeoutAtDeadline(t *testing.T) {
	tests := []struct {
		name      string
		opts      []retry.Option
		ctx       func(context.Context) (context.Context, context.CancelFunc)
		want      retry.Reason
		wantCause error
	}{
		{"deadline", nil, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 5*time.Second)
		}, retry.ReasonDeadline, context.DeadlineExceeded},
		{"time budget", []retry.Option{retry.WithMaxElapsed(5 * time.Second)},
			nil, retry.ReasonTimeBudget, retry.ErrTimeBudgetExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 30 {
				synctest.Test(t, func(t *testing.T) {
					ctx, cancel := context.WithCancel(t.Context())
					if tt.ctx != nil {
						ctx, cancel = tt.ctx(ctx)
					}
					defer cancel()
					var cause error
					attempts := 0
					err := retry.Do(ctx, func(ctx context.Context) error {
						attempts++
						<-ctx.Done()
						cause = context.Cause(ctx)
						return ctx.Err()
					}, append(tt.opts, retry.WithAttemptTimeout(5*time.Second))...)
					e := asError(t, err)
					if e.Reason != tt.want {
						t.Errorf("Reason = %v, want %v", e.Reason, tt.want)
					}
					if attempts != 1 {
						t.Errorf("operation ran %d times, want 1", attempts)
					}
					if cause != tt.wantCause {
						t.Errorf("attempt context cause = %v, want %v", cause, tt.wantCause)
					}
					if errors.Is(err, retry.ErrAttemptTimeout) {
						t.Errorf("errors.Is(%v, ErrAttemptTimeout) = true, want false", err)
					}
				})
			}
		})
	}
}

func TestDoWaitsForOpIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		attempts := 0
		err := retry.Do(ctx, func(context.Context) error {
			attempts++
			time.Sleep(5 * time.Second)
			return errUnavailable
		}, fixed(t, 0, 0), retry.WithAttemptTimeout(time.Second))
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("Do took %v, want the 5s the operation ran", got)
		}
		if attempts != 1 {
			t.Errorf("operation ran %d times, want 1", attempts)
		}
		e := asError(t, err)
		if e.Reason != retry.ReasonDeadline {
			t.Errorf("Reason = %v, want %v", e.Reason, retry.ReasonDeadline)
		}
		if e.Last != errUnavailable {
			t.Errorf("Last = %v, want the operation's error", e.Last)
		}
	})
}

func TestDoTimeBudgetEndsAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		start := time.Now()
		err := retry.Do(t.Context(), func(ctx context.Context) error {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return ctx.Err()
		}, retry.WithMaxElapsed(5*time.Second))
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("Do took %v, want the 5s budget", got)
		}
		if cause != retry.ErrTimeBudgetExhausted {
			t.Errorf("context cause = %v, want ErrTimeBudgetExhausted", cause)
		}
		e := asError(t, err)
		if e.Reason != retry.ReasonTimeBudget {
			t.Errorf("Reason = %v, want %v", e.Reason, retry.ReasonTimeBudget)
		}
		for _, target := range []error{retry.ErrTimeBudgetExhausted, context.DeadlineExceeded} {
			if !errors.Is(err, target) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
			}
		}
	})
}

func TestDoAttemptContextEndsWithAttempt(t *testing.T) {
	var contexts []context.Context
	var derived []context.Context
	attempts := 0
	err := retry.Do(t.Context(), func(ctx context.Context) error {
		attempts++
		contexts = append(contexts, ctx)
		if attempts == 1 {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			derived = append(derived, child)
			if ctx.Err() != nil {
				t.Errorf("attempt 1: ctx.Err() = %v during the attempt, want nil", ctx.Err())
			}
			return errUnavailable
		}
		return nil
	}, fixed(t, 0, 0))
	if err != nil {
		t.Fatalf("Do() = %v, want nil", err)
	}
	for i, ctx := range append(contexts, derived...) {
		select {
		case <-ctx.Done():
		default:
			t.Errorf("context %d not done after Do returned", i+1)
		}
		if ctx.Err() != context.Canceled {
			t.Errorf("context %d: Err() = %v, want context.Canceled", i+1, ctx.Err())
		}
	}
}

func TestDoValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		attempts := 0
		got, err := retry.DoValue(t.Context(), func(context.Context) (string, error) {
			attempts++
			if attempts < 2 {
				return "partial", errUnavailable
			}
			return "done", nil
		}, fixed(t, time.Second, 0))
		if got != "done" || err != nil {
			t.Errorf("DoValue() = %q, %v; want \"done\", nil", got, err)
		}

		got, err = retry.DoValue(t.Context(), func(context.Context) (string, error) {
			return "partial", errUnavailable
		}, fixed(t, time.Second, 2))
		if got != "" || !errors.Is(err, errUnavailable) {
			t.Errorf("DoValue() = %q, %v; want \"\" and the last error", got, err)
		}
	})
}

func TestDoRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		opt  retry.Option
		name string
	}{
		{retry.WithSchedule(nil), "WithSchedule"},
		{retry.WithMaxAttempts(-1), "WithMaxAttempts"},
		{retry.WithMaxElapsed(-time.Second), "WithMaxElapsed"},
		{retry.WithAttemptTimeout(-time.Second), "WithAttemptTimeout"},
		{retry.WithMaxRetryAfter(-time.Second), "WithMaxRetryAfter"},
		{retry.WithClassifier(nil), "WithClassifier"},
		{retry.WithSchedule((*backoff.Policy)(nil)), "WithSchedule"},
		{retry.WithSchedule(backoff.FromBackOff(nil)), "WithSchedule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attempts := 0
			err := retry.Do(t.Context(), failing(nil, &attempts), tt.opt)
			if !errors.Is(err, retry.ErrInvalidOption) {
				t.Errorf("Do() = %v, want ErrInvalidOption", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q does not name %s", err, tt.name)
			}
			if attempts != 0 {
				t.Errorf("operation ran %d times despite an invalid option", attempts)
			}
		})
	}
}

func TestDoIgnoresNilOption(t *testing.T) {
	attempts := 0
	err := retry.Do(t.Context(), failing(errUnavailable, &attempts), nil,
		fixed(t, 0, 1), nil)
	e := asError(t, err)
	if e.Reason != retry.ReasonAttemptsExhausted {
		t.Errorf("Reason = %v, want %v", e.Reason, retry.ReasonAttemptsExhausted)
	}
	if attempts != 2 {
		t.Errorf("operation ran %d times, want 2", attempts)
	}
}

func TestDoNilOperationPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "retry: ") {
			t.Errorf("recover() = %v, want a panic prefixed retry:", r)
		}
	}()
	retry.Do(t.Context(), nil)
}

func TestDoPropagatesPanic(t *testing.T) {
	var attemptCtx context.Context
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recover() = %v, want boom", r)
			}
		}()
		retry.Do(t.Context(), func(ctx context.Context) error {
			attemptCtx = ctx
			panic("boom")
		})
	}()
	if attemptCtx.Err() == nil {
		t.Error("attempt context still alive after the operation panicked")
	}
}

func TestOnRetryPanicReachesCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 1)
		b := mustBudget(t, retry.BudgetConfig{})
		tokens := b.Tokens(time.Now())
		var attemptCtx context.Context
		func() {
			defer func() {
				if r := recover(); r != "hook" {
					t.Errorf("recover() = %v, want hook", r)
				}
			}()
			retry.Do(t.Context(), func(ctx context.Context) error {
				attemptCtx = ctx
				return hintError{time.Second}
			}, retry.WithGate(g), retry.WithBudget(b), retry.WithMaxElapsed(time.Minute),
				retry.WithAttemptTimeout(time.Minute),
				retry.OnRetry(func(retry.RetryEvent) { panic("hook") }))
		}()
		if attemptCtx.Err() == nil {
			t.Error("attempt context still alive after the hook panicked")
		}
		if got := g.Waiting(); got != 0 {
			t.Errorf("Waiting() = %d after the hook panicked, want 0", got)
		}
		// The bucket was full, so the call's deposit added nothing, and the
		// retry it was about to wait for took one token.
		if got, want := b.Tokens(time.Now()), tokens-1; got != want {
			t.Errorf("Tokens() = %v after the hook panicked, want %v", got, want)
		}
	})
}

func TestOnRetryCallsDoAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 4)
		b := mustBudget(t, retry.BudgetConfig{Burst: 100})
		shared := []retry.Option{retry.WithGate(g), retry.WithBudget(b), fixed(t, time.Second, 2)}
		var inner []error
		outerAttempts := 0
		err := retry.Do(t.Context(), failing(errUnavailable, &outerAttempts),
			append(shared, retry.OnRetry(func(retry.RetryEvent) {
				innerAttempts := 0
				inner = append(inner, retry.Do(t.Context(),
					failing(errUnavailable, &innerAttempts), shared...))
			}))...)
		if e := asError(t, err); e.Reason != retry.ReasonAttemptsExhausted || e.Attempts != 3 {
			t.Errorf("outer Do() = %v, want attempts exhausted after 3", err)
		}
		if len(inner) != 2 {
			t.Fatalf("hook ran %d inner calls, want 2", len(inner))
		}
		for i, err := range inner {
			if e := asError(t, err); e.Reason != retry.ReasonAttemptsExhausted {
				t.Errorf("inner call %d: Do() = %v, want attempts exhausted", i+1, err)
			}
		}
	})
}

func TestOnRetryEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var trace []string
		var events []retry.RetryEvent
		attempts := 0
		retry.Do(t.Context(), func(context.Context) error {
			attempts++
			trace = append(trace, fmt.Sprintf("attempt %d", attempts))
			return fmt.Errorf("attempt %d: %w", attempts, errUnavailable)
		}, retry.WithSchedule(backoff.Storage()), retry.OnRetry(func(ev retry.RetryEvent) {
			trace = append(trace, fmt.Sprintf("hook %d", ev.Attempt))
			events = append(events, ev)
		}))
		want := "[attempt 1 hook 1 attempt 2 hook 2 attempt 3 hook 3 attempt 4 hook 4 " +
			"attempt 5 hook 5 attempt 6]"
		if got := fmt.Sprint(trace); got != want {
			t.Errorf("order = %s, want %s", got, want)
		}
		var elapsed time.Duration
		for i, ev := range events {
			wantDelay := time.Duration(i) * 100 * time.Millisecond
			if ev.Attempt != i+1 || ev.Delay != wantDelay || ev.Reason != retry.RetryReasonError {
				t.Errorf("event %d = %+v, want Attempt %d, Delay %v, Reason error",
					i+1, ev, i+1, wantDelay)
			}
			if want := fmt.Sprintf("attempt %d: service unavailable", i+1); ev.Err.Error() != want {
				t.Errorf("event %d: Err = %v, want %s", i+1, ev.Err, want)
			}
			if ev.Elapsed != elapsed {
				t.Errorf("event %d: Elapsed = %v, want %v", i+1, ev.Elapsed, elapsed)
			}
			elapsed += wantDelay
		}
	})
}

func TestDoSharedOptionsAcrossGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		budget, err := retry.NewBudget(retry.BudgetConfig{Ratio: 1, Burst: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		retries := 0
		opts := []retry.Option{
			retry.WithSchedule(backoff.Network()),
			retry.WithBudget(budget),
			retry.OnRetry(func(retry.RetryEvent) {
				mu.Lock()
				retries++
				mu.Unlock()
			}),
		}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				attempts := 0
				errs <- retry.Do(t.Context(), func(context.Context) error {
					attempts++
					if attempts < 3 {
						return errUnavailable
					}
					return nil
				}, opts...)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Do() = %v, want nil", err)
			}
		}
		if retries != 200 {
			t.Errorf("OnRetry called %d times, want 200", retries)
		}
	})
}

func TestDoFromBackOffSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPolicy(t, backoff.Config{Initial: time.Second, MaxRetries: 2})
		s := backoff.FromBackOff(p.BackOff)
		start := time.Now()
		attempts := 0
		err := retry.Do(t.Context(), failing(errUnavailable, &attempts), retry.WithSchedule(s))
		if attempts != 3 || !errors.Is(err, retry.ErrAttemptsExhausted) {
			t.Errorf("Do() = %v after %d attempts, want exhaustion after 3", err, attempts)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("Do took %v, want 3s", got)
		}
	})
}

func mustBudget(t testing.TB, cfg retry.BudgetConfig) *retry.Budget {
	t.Helper()
	b, err := retry.NewBudget(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hintError is an operation error that carries a server-requested delay.
type hintError struct{ delay time.Duration }

func (e hintError) Error() string             { return fmt.Sprintf("rate limited for %v", e.delay) }
func (e hintError) RetryAfter() time.Duration { return e.delay }
