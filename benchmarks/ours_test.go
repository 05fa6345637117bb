package benchmarks

import (
	"context"
	"errors"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/redact"
	"github.com/cowork-ai/resilience/retry"
)

// This file adapts the module itself to the scenarios and benchmarks; the
// peers are in peers_test.go and the *_bench_test.go files.

var retryLibs = append([]retryLib{{ours, prepareOurs}}, peerRetryLibs...)

var breakerLibs = append([]breakerLib{{ours, newOurBreaker}}, peerBreakerLibs...)

func prepareOurs(s retrySetup) retryCall {
	cfg := backoff.Config{Initial: s.Base, Multiplier: 2, Max: s.Max}
	if s.Jitter {
		cfg.Jitter = backoff.JitterFull
	}
	policy, err := backoff.New(cfg)
	if err != nil {
		panic(err)
	}
	opts := []retry.Option{retry.WithSchedule(policy), retry.WithMaxAttempts(s.Attempts)}
	if s.MaxHint > 0 {
		opts = append(opts, retry.WithMaxRetryAfter(s.MaxHint))
	}
	return func(ctx context.Context, op func(context.Context) error) error {
		return retry.Do(ctx, op, opts...)
	}
}

func newOurBreaker(openFor time.Duration, onChange func(*breakerHandle)) *breakerHandle {
	h := &breakerHandle{}
	cfg := breaker.Config{OpenTimeout: openFor}
	if onChange != nil {
		cfg.OnStateChange = func(breaker.StateChange) { onChange(h) }
	}
	b, err := breaker.New("bench", cfg)
	if err != nil {
		panic(err)
	}
	h.Call = func(ctx context.Context, op func(context.Context) error) bool {
		return !errors.Is(b.Execute(ctx, op), breaker.ErrOpen)
	}
	h.State = func() string { return b.State().String() }
	return h
}

var benchRetriers = append([]benchRetrier{{ours, func() func(context.Context, func(context.Context) error) error {
	policy, err := backoff.New(backoff.Config{Kind: backoff.KindConstant, MaxRetries: 2})
	if err != nil {
		panic(err)
	}
	opt := retry.WithSchedule(policy)
	return func(ctx context.Context, op func(context.Context) error) error {
		return retry.Do(ctx, op, opt)
	}
}}}, peerBenchRetriers...)

var benchBreakers = append([]benchBreaker{{ours, func() func(context.Context, func(context.Context) error) error {
	b, err := breaker.New("bench", breaker.Config{OpenTimeout: time.Hour})
	if err != nil {
		panic(err)
	}
	return b.Execute
}}}, peerBenchBreakers...)

var benchRedactors = append([]benchRedactor{{ours, redact.String}}, peerBenchRedactors...)

var benchURLRedactors = append([]benchURLRedactor{{ours, redact.URL}}, peerBenchURLRedactors...)
