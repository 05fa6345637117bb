package breaker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cowork-ai/resilience/breaker"
)

// halfOpen returns a breaker with the given probe settings that has just
// become half-open.
func halfOpen(t *testing.T, cfg breaker.Config) *breaker.Breaker {
	t.Helper()
	cfg.ConsecutiveFailures = 1
	b := mustNew(t, cfg)
	trip(t, b, 1)
	time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
	require.Equal(t, breaker.StateHalfOpen, b.State())
	return b
}

func TestStaleProbeDoesNotCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := halfOpen(t, breaker.Config{HalfOpenProbes: 2})
		release := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- b.Execute(t.Context(), func(context.Context) error {
				<-release
				return nil
			})
		}()
		synctest.Wait()
		require.ErrorIs(t, b.Execute(t.Context(), fail), errService, "second probe")
		require.Equal(t, breaker.StateOpen, b.State(), "state after a failed probe")
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		require.Equal(t, breaker.StateHalfOpen, b.State(), "state of the next period")

		close(release) // the first period's probe succeeds late
		require.NoError(t, <-done)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "state after the stale success")
		assert.Zero(t, b.Counts().Successes, "successes counted in the new period")

		// Both slots of the new period are free.
		hold := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				assert.NoError(t, b.Execute(t.Context(), func(context.Context) error {
					<-hold
					return nil
				}))
			})
		}
		synctest.Wait()
		assert.ErrorIs(t, b.Execute(t.Context(), succeed), breaker.ErrOpen, "third probe")
		close(hold)
		wg.Wait()
		assert.Equal(t, breaker.StateClosed, b.State(), "state after two successes")
	})
}

func TestProbePanicWhileOthersWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := halfOpen(t, breaker.Config{HalfOpenProbes: 2})
		release := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- b.Execute(t.Context(), func(context.Context) error {
				<-release
				return nil
			})
		}()
		synctest.Wait()
		assert.PanicsWithValue(t, "probe failed", func() {
			_ = b.Execute(t.Context(), func(context.Context) error { panic("probe failed") })
		})
		assert.Equal(t, breaker.StateOpen, b.State(), "state after the panic")
		assert.ErrorIs(t, b.Execute(t.Context(), succeed), breaker.ErrOpen, "call while open")
		close(release)
		assert.NoError(t, <-done, "result of the probe that kept running")
		assert.Equal(t, breaker.StateOpen, b.State(), "state after the stale success")
	})
}

func TestClassifierPanicCountsAsFailure(t *testing.T) {
	errOdd := errors.New("odd")
	classify := func(ctx context.Context, err error) breaker.Outcome {
		if errors.Is(err, errOdd) {
			panic("classifier failed")
		}
		return breaker.DefaultClassify(ctx, err)
	}
	for _, state := range []breaker.State{breaker.StateClosed, breaker.StateHalfOpen} {
		t.Run(state.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := mustNew(t, breaker.Config{ConsecutiveFailures: 1, Classify: classify})
				if state == breaker.StateHalfOpen {
					trip(t, b, 1)
					time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
				}
				assert.PanicsWithValue(t, "classifier failed", func() {
					_ = b.Execute(t.Context(), func(context.Context) error { return errOdd })
				})
				assert.Equal(t, breaker.StateOpen, b.State(), "state after the panic")
				time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
				assert.NoError(t, b.Execute(t.Context(), succeed), "next probe")
			})
		})
	}
}

func TestBlockedHookDelaysOnlyItsEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		unblock := make(chan struct{})
		var mu sync.Mutex
		var got []breaker.StateChange
		b := mustNew(t, breaker.Config{
			ConsecutiveFailures: 1,
			OpenTimeout:         time.Second,
			OnStateChange: func(ev breaker.StateChange) {
				if len(got) == 0 {
					<-unblock
				}
				mu.Lock()
				got = append(got, ev)
				mu.Unlock()
			},
		})
		blocked := make(chan struct{})
		go func() {
			defer close(blocked)
			_ = b.Execute(context.Background(), fail) // delivers, then blocks
		}()
		synctest.Wait()
		// Other goroutines keep going while the hook blocks.
		for range 3 {
			assert.ErrorIs(t, b.Execute(t.Context(), succeed), breaker.ErrOpen)
			time.Sleep(time.Second + time.Nanosecond)
			assert.ErrorIs(t, b.Execute(t.Context(), fail), errService)
		}
		assert.Equal(t, breaker.StateOpen, b.State())
		close(unblock)
		<-blocked
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, got, 7, "events: one open, then three half-open and open")
		prev := breaker.StateClosed
		for i, ev := range got {
			assert.Equal(t, prev, ev.From, "event %d: From", i)
			prev = ev.To
		}
	})
}

func TestHookPanicWaitsForLateProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{
			ConsecutiveFailures: 1,
			ProbeTimeout:        time.Second,
			OnStateChange: func(ev breaker.StateChange) {
				if ev.From == breaker.StateHalfOpen {
					panic("hook failed")
				}
			},
		})
		trip(t, b, 1)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)

		returned := false
		assert.PanicsWithValue(t, "hook failed", func() {
			_ = b.Execute(t.Context(), func(ctx context.Context) error {
				<-ctx.Done()
				time.Sleep(time.Second) // outlives the deadline
				returned = true
				return nil
			})
		})
		assert.True(t, returned, "Execute returned before the operation")
	})
}

func TestBusyRejectionCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := halfOpen(t, breaker.Config{HalfOpenProbes: 1, SuccessesToClose: 3})
		release := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- b.Execute(t.Context(), func(context.Context) error {
				<-release
				return nil
			})
		}()
		synctest.Wait()
		oe := errorAs(b.Execute(t.Context(), succeed))
		require.NotNil(t, oe, "call while the only slot is in use")
		assert.Equal(t, breaker.StateHalfOpen, oe.State, "rejection state")
		assert.True(t, oe.RetryAt.IsZero(), "RetryAt of a half-open rejection")
		c := b.Counts()
		assert.Equal(t, uint32(2), c.Requests, "requests")
		assert.Equal(t, uint32(1), c.Neutral, "neutral")
		close(release)
		require.NoError(t, <-done)
		assert.Equal(t, uint32(1), b.Counts().Successes, "successes")
	})
}

func TestHookProbesFromInside(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b *breaker.Breaker
		var got []breaker.StateChange
		var inner error
		b = mustNew(t, breaker.Config{
			ConsecutiveFailures: 1,
			OnStateChange: func(ev breaker.StateChange) {
				got = append(got, ev)
				if ev.To == breaker.StateHalfOpen {
					// Runs as the probe of the period and closes the
					// breaker; its event follows this one.
					inner = b.Execute(context.Background(), succeed)
				}
			},
		})
		trip(t, b, 1)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "state that State observed")
		require.NoError(t, inner, "probe run by the hook")
		assert.Equal(t, breaker.StateClosed, b.State(), "state after the hook's probe")
		require.Len(t, got, 3)
		assert.Equal(t, breaker.StateClosed, got[2].To, "last event")
		assert.Equal(t, breaker.StateHalfOpen, got[2].From, "last event's From")
	})
}
