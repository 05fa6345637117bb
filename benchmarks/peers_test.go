package benchmarks

import (
	"context"
	"errors"
	"time"

	avast "github.com/avast/retry-go/v4"
	cenkalti "github.com/cenkalti/backoff/v4"
	eapachebreaker "github.com/eapache/go-resiliency/breaker"
	"github.com/eapache/go-resiliency/retrier"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	sethvargo "github.com/sethvargo/go-retry"
	"github.com/sony/gobreaker/v2"
)

// Each peer adapter maps a retrySetup onto the settings the library
// documents for it, choosing its full-jitter option where it has one and
// its own hook for server-requested delays where it offers one.

var peerRetryLibs = []retryLib{
	{"cenkalti/backoff v4", prepareCenkalti},
	{"failsafe-go", prepareFailsafe},
	{"avast/retry-go", prepareAvast},
	{"sethvargo/go-retry", prepareSethvargo},
	{"eapache retrier", prepareEapache},
}

func prepareCenkalti(s retrySetup) retryCall {
	b := cenkalti.NewExponentialBackOff()
	b.InitialInterval = s.Base
	b.MaxInterval = s.Max
	b.Multiplier = 2
	b.MaxElapsedTime = 0
	b.RandomizationFactor = 0
	if s.Jitter {
		b.RandomizationFactor = 0.5 // its default, and its only jitter
	}
	limited := cenkalti.WithMaxRetries(b, uint64(s.Attempts-1))
	return func(ctx context.Context, op func(context.Context) error) error {
		return cenkalti.Retry(func() error { return op(ctx) }, cenkalti.WithContext(limited, ctx))
	}
}

func prepareFailsafe(s retrySetup) retryCall {
	builder := retrypolicy.NewBuilder[any]().
		WithMaxAttempts(s.Attempts).
		WithBackoff(s.Base, s.Max).
		ReturnLastFailure()
	if s.Jitter {
		builder = builder.WithJitterFactor(0.5)
	}
	if s.MaxHint > 0 {
		builder = builder.WithDelayFunc(func(exec failsafe.ExecutionAttempt[any]) time.Duration {
			if d, ok := hintOf(exec.LastError()); ok {
				return d
			}
			return -1 // the configured backoff
		})
	}
	policy := builder.Build()
	return func(ctx context.Context, op func(context.Context) error) error {
		return failsafe.With[any](policy).WithContext(ctx).Run(func() error { return op(ctx) })
	}
}

func prepareAvast(s retrySetup) retryCall {
	delay := avast.BackOffDelay
	if s.Jitter {
		delay = avast.FullJitterBackoffDelay
	}
	if s.MaxHint > 0 {
		base := delay
		delay = func(n uint, err error, c *avast.Config) time.Duration {
			if d, ok := hintOf(err); ok {
				return d
			}
			return base(n, err, c)
		}
	}
	opts := []avast.Option{
		avast.Attempts(uint(s.Attempts)),
		avast.Delay(s.Base),
		avast.MaxDelay(max(s.Max, s.MaxHint)),
		avast.DelayType(delay),
		avast.WrapContextErrorWithLastError(true),
	}
	return func(ctx context.Context, op func(context.Context) error) error {
		return avast.Do(func() error { return op(ctx) }, append(opts, avast.Context(ctx))...)
	}
}

func prepareSethvargo(s retrySetup) retryCall {
	var b sethvargo.Backoff = sethvargo.NewExponential(s.Base)
	b = sethvargo.WithCappedDuration(s.Max, b)
	if s.Jitter {
		b = sethvargo.WithFullJitter(b)
	}
	b = sethvargo.WithMaxRetries(uint64(s.Attempts-1), b)
	return func(ctx context.Context, op func(context.Context) error) error {
		return sethvargo.Do(ctx, b, func(ctx context.Context) error {
			return sethvargo.RetryableError(op(ctx))
		})
	}
}

func prepareEapache(s retrySetup) retryCall {
	r := retrier.New(retrier.LimitedExponentialBackoff(s.Attempts-1, s.Base, s.Max), nil)
	if s.Jitter {
		r.SetJitter(0.5)
	}
	return func(ctx context.Context, op func(context.Context) error) error {
		return r.RunCtx(ctx, op)
	}
}

var peerBreakerLibs = []breakerLib{
	{"sony/gobreaker v2", newGobreaker},
	{"failsafe-go", newFailsafeBreaker},
	{"eapache breaker", newEapacheBreaker},
}

func newGobreaker(openFor time.Duration, onChange func(*breakerHandle)) *breakerHandle {
	h := &breakerHandle{}
	settings := gobreaker.Settings{
		Name:        "peer",
		MaxRequests: 1,
		Timeout:     openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 5 },
	}
	if onChange != nil {
		settings.OnStateChange = func(string, gobreaker.State, gobreaker.State) { onChange(h) }
	}
	cb := gobreaker.NewCircuitBreaker[any](settings)
	h.Call = func(ctx context.Context, op func(context.Context) error) bool {
		_, err := cb.Execute(func() (any, error) { return nil, op(ctx) })
		return !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests)
	}
	h.State = func() string { return cb.State().String() }
	return h
}

func newFailsafeBreaker(openFor time.Duration, onChange func(*breakerHandle)) *breakerHandle {
	h := &breakerHandle{}
	builder := circuitbreaker.NewBuilder[any]().
		WithFailureThreshold(5).
		WithSuccessThreshold(1).
		WithDelay(openFor)
	if onChange != nil {
		builder = builder.OnStateChanged(func(circuitbreaker.StateChangedEvent) { onChange(h) })
	}
	cb := builder.Build()
	h.Call = func(ctx context.Context, op func(context.Context) error) bool {
		err := failsafe.With[any](cb).WithContext(ctx).Run(func() error { return op(ctx) })
		return !errors.Is(err, circuitbreaker.ErrOpen)
	}
	h.State = func() string {
		switch cb.State() {
		case circuitbreaker.OpenState:
			return "open"
		case circuitbreaker.HalfOpenState:
			return "half-open"
		}
		return "closed"
	}
	return h
}

// newEapacheBreaker returns nil when asked for a state-change hook, which the
// library does not offer.
func newEapacheBreaker(openFor time.Duration, onChange func(*breakerHandle)) *breakerHandle {
	if onChange != nil {
		return nil
	}
	cb := eapachebreaker.New(5, 1, openFor)
	return &breakerHandle{
		Call: func(ctx context.Context, op func(context.Context) error) bool {
			err := cb.Run(func() error { return op(ctx) })
			return !errors.Is(err, eapachebreaker.ErrBreakerOpen)
		},
		State: func() string {
			switch cb.GetState() {
			case eapachebreaker.Open:
				return "open"
			case eapachebreaker.HalfOpen:
				return "half-open"
			}
			return "closed"
		},
	}
}
