package retry_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/retry"
)

func mustGate(t *testing.T, maxWaiting int) *retry.Gate {
	t.Helper()
	g, err := retry.NewGate(maxWaiting)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// closeGate closes g for d, as a call whose response has a Retry-After of d
// does.
func closeGate(t *testing.T, g *retry.Gate, d time.Duration) {
	t.Helper()
	attempts := 0
	retry.Do(t.Context(), failing(hintError{d}, &attempts), retry.WithGate(g),
		retry.WithMaxAttempts(1))
	if want := time.Now().Add(d); !g.OpenAt().Equal(want) {
		t.Fatalf("OpenAt() = %v, want %v", g.OpenAt(), want)
	}
}

func TestNewGateRejectsNegative(t *testing.T) {
	if _, err := retry.NewGate(-1); err == nil {
		t.Error("NewGate(-1) error = nil, want an error naming maxWaiting")
	}
}

func TestGateHoldsOtherCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 10)
		start := time.Now()
		var wg sync.WaitGroup
		wg.Go(func() {
			attempts := 0
			// Rate-limited for 3 s, then fine; its own wait honours the hint.
			retry.Do(t.Context(), func(context.Context) error {
				attempts++
				if attempts == 1 {
					return hintError{3 * time.Second}
				}
				return nil
			}, retry.WithGate(g), fixed(t, time.Second, 0))
		})

		time.Sleep(time.Second)
		var firstAttempt time.Duration
		wg.Go(func() {
			retry.Do(t.Context(), func(context.Context) error {
				firstAttempt = time.Since(start)
				return nil
			}, retry.WithGate(g))
		})
		synctest.Wait()
		if got := g.Waiting(); got != 1 {
			t.Errorf("Waiting() = %d while a call waits for the gate, want 1", got)
		}
		wg.Wait()
		if firstAttempt != 3*time.Second {
			t.Errorf("the second call's first attempt ran at %v, want 3s when the gate opens",
				firstAttempt)
		}
		if got := g.Waiting(); got != 0 {
			t.Errorf("Waiting() = %d after every call returned, want 0", got)
		}
	})
}

func TestGateStopsCalls(t *testing.T) {
	tests := []struct {
		name       string
		maxWaiting int
		opts       []retry.Option
		ctx        func(context.Context) (context.Context, context.CancelFunc)
		want       retry.Reason
		is         error
	}{
		{"queue of zero", 0, nil, nil, retry.ReasonQueueFull, retry.ErrQueueFull},
		{"wait past the deadline", 10, nil,
			func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 2*time.Second)
			}, retry.ReasonDeadline, context.DeadlineExceeded},
		{"wait past the time budget", 10, []retry.Option{retry.WithMaxElapsed(time.Second)}, nil,
			retry.ReasonTimeBudget, retry.ErrTimeBudgetExhausted},
		{"wait above the maximum", 10, []retry.Option{retry.WithMaxRetryAfter(5 * time.Second)},
			nil, retry.ReasonRetryAfterTooLong, retry.ErrRetryAfterTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := mustGate(t, tt.maxWaiting)
				closeGate(t, g, 10*time.Second)
				ctx, cancel := context.WithCancel(t.Context())
				if tt.ctx != nil {
					ctx, cancel = tt.ctx(ctx)
				}
				defer cancel()
				start := time.Now()
				attempts := 0
				err := retry.Do(ctx, failing(nil, &attempts),
					append(tt.opts, retry.WithGate(g))...)
				if took := time.Since(start); took != 0 {
					t.Errorf("Do waited %v, want an immediate return", took)
				}
				if attempts != 0 {
					t.Errorf("operation ran %d times, want 0", attempts)
				}
				e := asError(t, err)
				if e.Reason != tt.want {
					t.Errorf("Reason = %v, want %v", e.Reason, tt.want)
				}
				if !errors.Is(err, tt.is) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.is)
				}
				if g.Waiting() != 0 {
					t.Errorf("Waiting() = %d after the call stopped, want 0", g.Waiting())
				}
			})
		})
	}
}

func TestGateQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 1)
		closeGate(t, g, 10*time.Second)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := retry.Do(t.Context(), func(context.Context) error { return nil },
				retry.WithGate(g)); err != nil {
				t.Errorf("the queued call: Do() = %v, want nil", err)
			}
		})
		synctest.Wait()
		err := retry.Do(t.Context(), func(context.Context) error { return nil }, retry.WithGate(g))
		e := asError(t, err)
		if e.Reason != retry.ReasonQueueFull || e.Code() != "ERR-RateLimited" {
			t.Errorf("Reason, Code() = %v, %q; want %v, ERR-RateLimited", e.Reason, e.Code(),
				retry.ReasonQueueFull)
		}
		if !retry.IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = false, want true", err)
		}
		wg.Wait()
	})
}

func TestGateWaitEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 1)
		closeGate(t, g, 10*time.Second)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		attempts := 0
		err := retry.Do(ctx, failing(nil, &attempts), retry.WithGate(g))
		if e := asError(t, err); e.Reason != retry.ReasonCanceled || e.Elapsed != time.Second {
			t.Errorf("Do() = %v, want ReasonCanceled after 1s", err)
		}
		if attempts != 0 || g.Waiting() != 0 {
			t.Errorf("attempts, Waiting() = %d, %d; want 0, 0", attempts, g.Waiting())
		}
	})
}

// TestGateRejectionEarnsNoBudget checks that a call the gate stops before
// its first attempt adds nothing to a shared budget: it sent no request, so
// it must not earn retries for calls that do.
func TestGateRejectionEarnsNoBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustBudget(t, retry.BudgetConfig{Ratio: 0.5, MinPerSecond: 1e-9, Burst: 10})
		g := mustGate(t, 0)
		attempts := 0
		// Each of these calls deposits 0.5 and spends 1 on its one retry, so
		// the budget is no longer full and a deposit would show.
		for range 5 {
			retry.Do(t.Context(), failing(errUnavailable, &attempts), fixed(t, 0, 1),
				retry.WithBudget(b), retry.WithClassifier(func(error) bool { return true }))
		}
		closeGate(t, g, 10*time.Second)
		before := b.Tokens(time.Now())
		for range 3 {
			err := retry.Do(t.Context(), failing(errUnavailable, &attempts),
				retry.WithBudget(b), retry.WithGate(g))
			if e := asError(t, err); e.Reason != retry.ReasonQueueFull {
				t.Fatalf("Do() = %v, want the gate to stop it", err)
			}
		}
		if got := b.Tokens(time.Now()); got != before {
			t.Errorf("Tokens() = %v after 3 calls the gate stopped, want %v as before",
				got, before)
		}
	})
}

func TestGateClosedByRequestAboveMaximum(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 10)
		attempts := 0
		err := retry.Do(t.Context(), failing(hintError{2 * time.Hour}, &attempts),
			retry.WithGate(g))
		if e := asError(t, err); e.Reason != retry.ReasonRetryAfterTooLong {
			t.Fatalf("first call: Reason = %v, want %v", e.Reason, retry.ReasonRetryAfterTooLong)
		}
		if want := time.Now().Add(2 * time.Hour); !g.OpenAt().Equal(want) {
			t.Errorf("OpenAt() = %v, want %v", g.OpenAt(), want)
		}

		err = retry.Do(t.Context(), failing(errUnavailable, &attempts), retry.WithGate(g))
		e := asError(t, err)
		if e.Reason != retry.ReasonRetryAfterTooLong || e.Attempts != 0 {
			t.Errorf("second call: Do() = %v, want ReasonRetryAfterTooLong before any attempt",
				err)
		}
		if e.RetryAfter != 2*time.Hour {
			t.Errorf("second call: RetryAfter = %v, want the 2h0m0s left", e.RetryAfter)
		}

		err = retry.Do(t.Context(), func(context.Context) error { return nil },
			retry.WithGate(g), retry.WithMaxRetryAfter(3*time.Hour))
		if err != nil {
			t.Errorf("call with a 3h maximum: Do() = %v, want nil after waiting", err)
		}
		if attempts != 1 {
			t.Errorf("operation ran %d times in all, want 1", attempts)
		}
	})
}

// TestGateProbesAfterBogusRequest checks that a request of centuries cannot
// stop every call sharing the gate until a restart: once the closing call's
// maximum has passed one call probes the service, and its success opens the
// gate for everyone.
func TestGateProbesAfterBogusRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 10)
		attempts := 0
		bogus := hintError{time.Duration(math.MaxInt64)}
		opts := []retry.Option{retry.WithGate(g), retry.WithMaxRetryAfter(time.Minute)}
		err := retry.Do(t.Context(), failing(bogus, &attempts), opts...)
		if e := asError(t, err); e.Reason != retry.ReasonRetryAfterTooLong {
			t.Fatalf("closing call: Reason = %v, want %v", e.Reason, retry.ReasonRetryAfterTooLong)
		}

		time.Sleep(59 * time.Second)
		err = retry.Do(t.Context(), failing(errUnavailable, &attempts), opts...)
		if e := asError(t, err); e.Reason != retry.ReasonRetryAfterTooLong || e.Attempts != 0 {
			t.Fatalf("call before the maximum passed: Do() = %v, want a stop before any attempt", err)
		}

		time.Sleep(time.Second)
		succeed := func(context.Context) error { attempts++; return nil }
		if err := retry.Do(t.Context(), succeed, opts...); err != nil {
			t.Fatalf("probe after the maximum passed: Do() = %v, want nil", err)
		}
		if !g.OpenAt().Equal(time.Now()) {
			t.Errorf("OpenAt() = %v after a successful probe, want now (%v)", g.OpenAt(), time.Now())
		}
		if err := retry.Do(t.Context(), succeed, opts...); err != nil {
			t.Errorf("call after the probe: Do() = %v, want nil", err)
		}
		if attempts != 3 {
			t.Errorf("operation ran %d times, want 3: the closing call, the probe, the next call", attempts)
		}
	})
}

// TestGateLetsOneProbeAtATime checks that only one call per period passes
// as the probe while the request above the maximum lasts.
func TestGateLetsOneProbeAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustGate(t, 10)
		attempts := 0
		opts := []retry.Option{retry.WithGate(g), retry.WithMaxRetryAfter(time.Minute),
			retry.WithMaxAttempts(1)}
		retry.Do(t.Context(), failing(hintError{time.Hour}, &attempts), opts...)
		time.Sleep(time.Minute)

		block := make(chan struct{})
		probe := func(context.Context) error { attempts++; <-block; return errUnavailable }
		done := make(chan error, 1)
		go func() { done <- retry.Do(t.Context(), probe, opts...) }()
		synctest.Wait()

		err := retry.Do(t.Context(), failing(errUnavailable, &attempts), opts...)
		if e := asError(t, err); e.Reason != retry.ReasonRetryAfterTooLong || e.Attempts != 0 {
			t.Errorf("second call while the probe runs: Do() = %v, want a stop before any attempt", err)
		}
		close(block)
		<-done
		if attempts != 2 {
			t.Errorf("operation ran %d times, want 2: the closing call and one probe", attempts)
		}
	})
}
