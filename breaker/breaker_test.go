package breaker_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/internal/classify"
	"github.com/cowork-ai/resilience/retry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var errService = errors.New("service unavailable")

func succeed(context.Context) error { return nil }
func fail(context.Context) error    { return errService }

func mustNew(t *testing.T, cfg breaker.Config) *breaker.Breaker {
	t.Helper()
	b, err := breaker.New("openai", cfg)
	require.NoError(t, err)
	return b
}

// trip opens b with failing calls; it must open within n of them.
func trip(t *testing.T, b *breaker.Breaker, n int) {
	t.Helper()
	for range n {
		_ = b.Execute(t.Context(), fail)
	}
	require.Equal(t, breaker.StateOpen, b.State(), "state after %d failures", n)
}

func TestTripsAfterFiveConsecutiveFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{})
		for i := 1; i <= 4; i++ {
			err := b.Execute(t.Context(), fail)
			require.ErrorIs(t, err, errService)
			require.Equal(t, breaker.StateClosed, b.State(), "state after %d failures", i)
		}
		require.ErrorIs(t, b.Execute(t.Context(), fail), errService)
		assert.Equal(t, breaker.StateOpen, b.State(), "state after 5 failures")

		ran := false
		err := b.Execute(t.Context(), func(context.Context) error { ran = true; return nil })
		assert.ErrorIs(t, err, breaker.ErrOpen)
		assert.False(t, ran, "op ran while the breaker was open")
	})
}

func TestSuccessResetsConsecutiveFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{})
		for range 3 {
			for range 4 {
				_ = b.Execute(t.Context(), fail)
			}
			require.NoError(t, b.Execute(t.Context(), succeed))
		}
		assert.Equal(t, breaker.StateClosed, b.State())
		assert.Equal(t, uint32(12), b.Counts().Failures)
	})
}

func TestCancelledCallNeverTrips(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{})
		for range 20 {
			ctx, cancel := context.WithCancel(t.Context())
			err := b.Execute(ctx, func(ctx context.Context) error {
				cancel()
				<-ctx.Done()
				return ctx.Err()
			})
			require.ErrorIs(t, err, context.Canceled)
		}
		for range 20 {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			err := b.Execute(ctx, func(ctx context.Context) error {
				<-ctx.Done()
				return errors.New("connection closed")
			})
			cancel()
			require.Error(t, err)
		}
		assert.Equal(t, breaker.StateClosed, b.State())
		c := b.Counts()
		assert.Equal(t, uint32(40), c.Neutral, "neutral calls")
		assert.Zero(t, c.Failures, "failures")
	})
}

func TestDoneContextRunsNothing(t *testing.T) {
	b := mustNew(t, breaker.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := b.Execute(ctx, func(context.Context) error { ran = true; return nil })
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ran, "op ran with a done context")
	assert.Zero(t, b.Counts().Requests, "requests")
}

func TestStateMovesToHalfOpenOnRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var events []breaker.StateChange
		b := mustNew(t, breaker.Config{
			OnStateChange: func(ev breaker.StateChange) { events = append(events, ev) },
		})
		trip(t, b, 5)
		time.Sleep(breaker.DefaultOpenTimeout)
		assert.Equal(t, breaker.StateOpen, b.State(), "state when the open period ends")
		time.Sleep(time.Nanosecond)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "state after the open period")
		require.Len(t, events, 2)
		assert.Equal(t, breaker.StateOpen, events[1].From)
		assert.Equal(t, breaker.StateHalfOpen, events[1].To)
		assert.WithinDuration(t, events[0].At.Add(breaker.DefaultOpenTimeout+time.Nanosecond),
			events[1].At, 0, "time of the half-open transition")
	})
}

func TestHalfOpenAdmitsConfiguredProbes(t *testing.T) {
	cases := []struct {
		probes, toClose int
	}{
		{1, 0},
		{3, 3},
		{2, 5},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			b := mustNew(t, breaker.Config{
				HalfOpenProbes:   tc.probes,
				SuccessesToClose: tc.toClose,
			})
			trip(t, b, 5)
			time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)

			start, release := make(chan struct{}), make(chan struct{})
			var admitted, rejected atomic.Int32
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					<-start
					err := b.Execute(context.Background(), func(context.Context) error {
						admitted.Add(1)
						<-release
						return nil
					})
					if errors.Is(err, breaker.ErrOpen) {
						rejected.Add(1)
					}
				})
			}
			close(start)
			synctest.Wait()
			assert.Equal(t, int32(tc.probes), admitted.Load(), "probes admitted")
			assert.Equal(t, int32(100-tc.probes), rejected.Load(), "calls rejected")
			close(release)
			wg.Wait()
		})
	}
}

func TestSuccessesToCloseSeparateFromProbes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{HalfOpenProbes: 1, SuccessesToClose: 3})
		trip(t, b, 5)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		for i := 1; i <= 2; i++ {
			require.NoError(t, b.Execute(t.Context(), succeed))
			require.Equal(t, breaker.StateHalfOpen, b.State(), "state after %d successes", i)
		}
		require.NoError(t, b.Execute(t.Context(), succeed))
		assert.Equal(t, breaker.StateClosed, b.State(), "state after 3 successes")
	})
}

func TestFailedProbeReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{})
		trip(t, b, 5)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		require.ErrorIs(t, b.Execute(t.Context(), fail), errService)
		assert.Equal(t, breaker.StateOpen, b.State())
	})
}

func TestNeutralProbeFreesSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{})
		trip(t, b, 5)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)

		ctx, cancel := context.WithCancel(t.Context())
		stuck := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- b.Execute(ctx, func(context.Context) error {
				<-stuck // ignores its context
				return nil
			})
		}()
		synctest.Wait()
		require.ErrorIs(t, b.Execute(t.Context(), succeed), breaker.ErrOpen,
			"second probe while the only slot is in use")

		cancel()
		synctest.Wait()
		require.NoError(t, b.Execute(t.Context(), succeed), "probe after the neutral one")
		assert.Equal(t, breaker.StateClosed, b.State())

		close(stuck)
		assert.NoError(t, <-done, "result of the cancelled probe")
	})
}

func TestStuckProbeReleasedByDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ProbeTimeout: 5 * time.Second})
		trip(t, b, 5)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)

		stuck := make(chan struct{})
		cause := make(chan error, 1)
		done := make(chan error)
		go func() {
			done <- b.Execute(t.Context(), func(ctx context.Context) error {
				<-ctx.Done()
				cause <- context.Cause(ctx)
				<-stuck // keeps running after its deadline
				return nil
			})
		}()
		synctest.Wait()
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "state while the probe runs")

		time.Sleep(5 * time.Second)
		synctest.Wait()
		assert.Equal(t, breaker.StateOpen, b.State(), "state after the probe deadline")
		assert.ErrorIs(t, <-cause, breaker.ErrProbeTimeout, "cause seen by the probe")

		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		require.NoError(t, b.Execute(t.Context(), succeed), "next probe")
		assert.Equal(t, breaker.StateClosed, b.State())

		close(stuck)
		assert.NoError(t, <-done, "late result of the stuck probe")
	})
}

func TestPanicCountsAsFailure(t *testing.T) {
	for _, state := range []breaker.State{breaker.StateClosed, breaker.StateHalfOpen} {
		t.Run(state.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := mustNew(t, breaker.Config{ConsecutiveFailures: 1})
				if state == breaker.StateHalfOpen {
					trip(t, b, 1)
					time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
				}
				recovered := func() (v any) {
					defer func() { v = recover() }()
					_ = b.Execute(t.Context(), func(context.Context) error { panic("boom") })
					return nil
				}()
				assert.Equal(t, "boom", recovered, "recovered value")
				assert.Equal(t, breaker.StateOpen, b.State(), "state after the panic")
			})
		})
	}
}

func TestHookCallsStateWithoutDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b *breaker.Breaker
		var seen []breaker.State
		var counts []breaker.Counts
		b = mustNew(t, breaker.Config{
			OnStateChange: func(ev breaker.StateChange) {
				seen = append(seen, b.State())
				counts = append(counts, b.Counts())
				// A call from inside the hook must not block either.
				_ = b.Execute(context.Background(), succeed)
			},
		})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 5 {
				_ = b.Execute(context.Background(), fail)
			}
		}()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("trip blocked: hook calling State deadlocked")
		}
		require.Equal(t, []breaker.State{breaker.StateOpen}, seen, "State() inside the hook")
		assert.Zero(t, counts[0].Requests, "Counts() inside the hook")
	})
}

func TestEventsDeliveredOnceInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var events []breaker.StateChange
		b := mustNew(t, breaker.Config{
			ConsecutiveFailures: 1,
			OpenTimeout:         time.Second,
			OnStateChange: func(ev breaker.StateChange) {
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
			},
		})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					op := succeed
					if (g+i)%3 == 0 {
						op = fail
					}
					_ = b.Execute(context.Background(), op)
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		b.State() // delivers anything still queued
		require.NotEmpty(t, events)
		prev := breaker.StateClosed
		for i, ev := range events {
			assert.Equal(t, prev, ev.From, "event %d: From", i)
			assert.NotEqual(t, ev.From, ev.To, "event %d", i)
			prev = ev.To
			if i > 0 {
				assert.False(t, ev.At.Before(events[i-1].At), "event %d is older than %d", i, i-1)
			}
		}
		assert.Equal(t, prev, b.State(), "last event's To against State()")
	})
}

func TestHookPanicKeepsLaterEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []breaker.State
		b := mustNew(t, breaker.Config{
			ConsecutiveFailures: 1,
			OnStateChange: func(ev breaker.StateChange) {
				got = append(got, ev.To)
				if ev.To == breaker.StateOpen && len(got) == 1 {
					panic("hook failed")
				}
			},
		})
		assert.Panics(t, func() { _ = b.Execute(t.Context(), fail) })
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		assert.Equal(t, breaker.StateHalfOpen, b.State())
		assert.Equal(t, []breaker.State{breaker.StateOpen, breaker.StateHalfOpen}, got)
	})
}

func TestRollingWindowBurstAcrossBucketBoundary(t *testing.T) {
	// Window 10 s in ten 1 s buckets; opens at 50 % failures over at
	// least 10 calls. Each burst sends 6 failures just before a bucket
	// boundary and the rest just after it.
	cases := []struct {
		name         string
		successesAt  time.Duration // when 12 successes are recorded
		burstAt      time.Duration // the boundary the burst straddles
		tripsAtCall  int           // failure of the burst that opens
		windowAtTrip string
	}{
		{
			name:         "successes stay in the window",
			successesAt:  2500 * time.Millisecond,
			burstAt:      10 * time.Second,
			tripsAtCall:  12, // 12 failures against 12 successes
			windowAtTrip: "12 successes, 12 failures",
		},
		{
			name:         "successes leave the window at the boundary",
			successesAt:  500 * time.Millisecond,
			burstAt:      10 * time.Second,
			tripsAtCall:  10, // 6 + 4 failures, 0 successes: MinCalls reached
			windowAtTrip: "0 successes, 10 failures",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := mustNew(t, breaker.Config{
					FailureRatio: 0.5, MinCalls: 10,
					Window: 10 * time.Second, Buckets: 10,
				})
				start := time.Now()
				time.Sleep(tc.successesAt)
				for range 12 {
					require.NoError(t, b.Execute(t.Context(), succeed))
				}
				time.Sleep(tc.burstAt - 100*time.Millisecond - time.Since(start))
				for i := 1; i <= 20; i++ {
					if i == 7 {
						time.Sleep(200 * time.Millisecond) // cross the boundary
					}
					_ = b.Execute(t.Context(), fail)
					if b.State() == breaker.StateOpen {
						assert.Equal(t, tc.tripsAtCall, i, "failure that opened (%s)",
							tc.windowAtTrip)
						return
					}
				}
				t.Fatalf("breaker still closed after 20 failures; want open at %d", tc.tripsAtCall)
			})
		})
	}
}

func TestMinCallsGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{FailureRatio: 0.5, MinCalls: 10})
		for i := 1; i <= 9; i++ {
			_ = b.Execute(t.Context(), fail)
			require.Equal(t, breaker.StateClosed, b.State(), "after %d of 10 calls", i)
		}
		_ = b.Execute(t.Context(), fail)
		assert.Equal(t, breaker.StateOpen, b.State(), "after 10 failing calls")
	})
}

func TestClassifyCustomNeutral(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errBadRequest := errors.New("400 bad request")
		b := mustNew(t, breaker.Config{
			Classify: func(ctx context.Context, err error) breaker.Outcome {
				if errors.Is(err, errBadRequest) {
					return breaker.OutcomeNeutral
				}
				return breaker.DefaultClassify(ctx, err)
			},
		})
		for range 10 {
			_ = b.Execute(t.Context(), func(context.Context) error { return errBadRequest })
		}
		assert.Equal(t, breaker.StateClosed, b.State())
		assert.Equal(t, uint32(10), b.Counts().Neutral)
	})
}

func TestOpenErrorDescribesRejection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ConsecutiveFailures: 1})
		trip(t, b, 1)
		err := b.Execute(t.Context(), succeed)

		var oe *breaker.OpenError
		require.ErrorAs(t, err, &oe)
		assert.ErrorIs(t, err, breaker.ErrOpen)
		assert.Equal(t, "openai", oe.Service)
		assert.Equal(t, breaker.StateOpen, oe.State)
		assert.WithinDuration(t, time.Now().Add(breaker.DefaultOpenTimeout+time.Nanosecond),
			oe.RetryAt, 0)
		assert.Equal(t, "ERR-CircuitOpen", oe.Code())
		assert.False(t, classify.Retryable(err), "classify.Retryable(rejection)")
		assert.Contains(t, err.Error(), `"openai"`)
		assert.Contains(t, err.Error(), oe.RetryAt.UTC().Format(time.RFC3339))
		assert.Same(t, oe, errorAs(b.Execute(t.Context(), succeed)),
			"rejections within one open period share one error")
	})
}

func errorAs(err error) *breaker.OpenError {
	var oe *breaker.OpenError
	errors.As(err, &oe)
	return oe
}

func TestExecuteValue(t *testing.T) {
	b := mustNew(t, breaker.Config{ConsecutiveFailures: 1})
	v, err := breaker.ExecuteValue(t.Context(), b, func(context.Context) (string, error) {
		return "transcript", nil
	})
	require.NoError(t, err)
	assert.Equal(t, "transcript", v)

	_, err = breaker.ExecuteValue(t.Context(), b, func(context.Context) (string, error) {
		return "", errService
	})
	require.ErrorIs(t, err, errService)
	v, err = breaker.ExecuteValue(t.Context(), b, func(context.Context) (string, error) {
		return "unreachable", nil
	})
	assert.ErrorIs(t, err, breaker.ErrOpen)
	assert.Empty(t, v)
}

func TestConfigRejected(t *testing.T) {
	cases := []struct {
		cfg   breaker.Config
		field string
	}{
		{breaker.Config{ConsecutiveFailures: -1}, "ConsecutiveFailures"},
		{breaker.Config{OpenTimeout: -time.Second}, "OpenTimeout"},
		{breaker.Config{ProbeTimeout: -time.Second}, "ProbeTimeout"},
		{breaker.Config{HalfOpenProbes: -1}, "HalfOpenProbes"},
		{breaker.Config{HalfOpenProbes: 3, SuccessesToClose: 2}, "SuccessesToClose"},
		{breaker.Config{SuccessesToClose: -2}, "SuccessesToClose"},
		{breaker.Config{FailureRatio: 1.5}, "FailureRatio"},
		{breaker.Config{FailureRatio: -0.1}, "FailureRatio"},
		{breaker.Config{FailureRatio: 0.5, MinCalls: -1}, "MinCalls"},
		{breaker.Config{FailureRatio: 0.5, Window: -time.Second}, "Window"},
		{breaker.Config{FailureRatio: 0.5, Buckets: -3}, "Buckets"},
		{breaker.Config{FailureRatio: 0.5, Window: time.Second, Buckets: 7}, "Window"},
		{breaker.Config{FailureRatio: math.NaN()}, "FailureRatio"},
		{breaker.Config{FailureRatio: math.Inf(1)}, "FailureRatio"},
		// gobreaker rounds Window up to whole buckets; these would overflow.
		{breaker.Config{FailureRatio: 0.5, Window: math.MaxInt64, Buckets: 1}, "Window"},
		{breaker.Config{FailureRatio: 0.5, Window: 9e18, Buckets: 2}, "Window"},
		// gobreaker allocates every bucket up front.
		{breaker.Config{FailureRatio: 0.5, Buckets: 1_000_000_000}, "Buckets"},
		{breaker.Config{FailureRatio: 0.5, ConsecutiveFailures: 3}, "ConsecutiveFailures"},
		{breaker.Config{MinCalls: 3}, "MinCalls"},
		{breaker.Config{Window: time.Minute}, "Window"},
	}
	for _, tc := range cases {
		_, err := breaker.New("svc", tc.cfg)
		if assert.Error(t, err, "New(%+v)", tc.cfg) {
			assert.Contains(t, err.Error(), tc.field, "New(%+v)", tc.cfg)
			assert.True(t, strings.HasPrefix(err.Error(), "breaker: "), err.Error())
		}
	}
	_, err := breaker.New("", breaker.Config{})
	assert.ErrorContains(t, err, "name")
}

func TestSet(t *testing.T) {
	a := mustNew(t, breaker.Config{})
	b, err := breaker.New("deepgram", breaker.Config{})
	require.NoError(t, err)

	s, err := breaker.NewSet(a, b)
	require.NoError(t, err)
	assert.Same(t, b, s.Get("deepgram"))
	assert.Nil(t, s.Get("backend"))
	assert.Equal(t, []string{"openai", "deepgram"}, s.Names())
	var all []*breaker.Breaker
	for br := range s.All() {
		all = append(all, br)
	}
	assert.Equal(t, []*breaker.Breaker{a, b}, all)

	_, err = breaker.NewSet(a, a)
	assert.ErrorContains(t, err, `"openai"`)
	_, err = breaker.NewSet(a, nil)
	assert.ErrorContains(t, err, "nil")
}

func TestRetryStopsAtRejection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ConsecutiveFailures: 1})
		trip(t, b, 1)
		err := retry.Do(t.Context(), func(ctx context.Context) error {
			return b.Execute(ctx, succeed)
		})
		require.ErrorIs(t, err, breaker.ErrOpen)
		var re *retry.Error
		require.ErrorAs(t, err, &re)
		assert.Equal(t, 1, re.Attempts, "attempts against an open breaker")
		assert.Equal(t, retry.ReasonPermanent, re.Reason)
	})
}

func TestNilOperationRejected(t *testing.T) {
	b := mustNew(t, breaker.Config{})
	assert.ErrorIs(t, b.Execute(t.Context(), nil), breaker.ErrNilOperation)
	_, err := breaker.ExecuteValue[int](t.Context(), b, nil)
	assert.ErrorIs(t, err, breaker.ErrNilOperation)
	assert.Zero(t, b.Counts().Requests, "requests")
}

func TestExecuteValueAsProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ProbeTimeout: time.Second})
		trip(t, b, 5)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)

		// A probe that outlives its deadline still returns its value.
		v, err := breaker.ExecuteValue(t.Context(), b, func(ctx context.Context) (string, error) {
			<-ctx.Done()
			time.Sleep(time.Second)
			return "late", nil
		})
		require.NoError(t, err)
		assert.Equal(t, "late", v)
		assert.Equal(t, breaker.StateOpen, b.State(), "state after the late probe")

		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		v, err = breaker.ExecuteValue(t.Context(), b, func(context.Context) (string, error) {
			return "transcript", nil
		})
		require.NoError(t, err)
		assert.Equal(t, "transcript", v)
		assert.Equal(t, breaker.StateClosed, b.State(), "state after the probe succeeded")
	})
}

func TestLongestWindowRuns(t *testing.T) {
	// The longest one-bucket window whose rounding does not overflow.
	b, err := breaker.New("svc", breaker.Config{FailureRatio: 0.5, Window: 1 << 62, Buckets: 1})
	require.NoError(t, err)
	require.NoError(t, b.Execute(t.Context(), succeed))
	assert.ErrorIs(t, b.Execute(t.Context(), fail), errService)
	assert.Equal(t, uint32(2), b.Counts().Requests, "requests")
}

func TestCallAtRetryAtAdmitted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, breaker.Config{ConsecutiveFailures: 1, ProbeTimeout: time.Second})
		trip(t, b, 1)
		oe := errorAs(b.Execute(t.Context(), succeed))
		require.NotNil(t, oe, "rejection while open")
		time.Sleep(time.Until(oe.RetryAt))
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "state at RetryAt")

		// A probe that times out opens the breaker again; its RetryAt
		// must hold too.
		err := b.Execute(t.Context(), func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		oe = errorAs(b.Execute(t.Context(), succeed))
		require.NotNil(t, oe, "rejection after the probe timed out")
		time.Sleep(time.Until(oe.RetryAt))
		assert.NoError(t, b.Execute(t.Context(), succeed), "call at RetryAt")
	})
}

func TestProbeTimeoutEventWhileProbeStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []breaker.State
		b := mustNew(t, breaker.Config{
			ConsecutiveFailures: 1,
			ProbeTimeout:        time.Second,
			OnStateChange: func(ev breaker.StateChange) {
				mu.Lock()
				got = append(got, ev.To)
				mu.Unlock()
			},
		})
		trip(t, b, 1)
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)

		stuck := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- b.Execute(t.Context(), func(context.Context) error {
				<-stuck // ignores its context
				return nil
			})
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		mu.Lock()
		// Read without calling the breaker, which would deliver events.
		seen := slices.Clone(got)
		mu.Unlock()
		assert.Equal(t, []breaker.State{breaker.StateOpen, breaker.StateHalfOpen,
			breaker.StateOpen}, seen, "events delivered while the probe is stuck")

		close(stuck)
		assert.NoError(t, <-done, "late result of the stuck probe")
	})
}
