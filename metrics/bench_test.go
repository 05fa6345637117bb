package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/metrics"
	"github.com/cowork-ai/resilience/retry"
	"github.com/cowork-ai/resilience/session"
	"github.com/cowork-ai/resilience/strategy"
	"github.com/cowork-ai/resilience/wsreconnect"
)

func newBenchMetrics(b *testing.B, opts metrics.Options) *metrics.Metrics {
	b.Helper()
	m, err := metrics.New(prometheus.NewRegistry(), opts)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkBreakerHook measures the cost of one state-change event from
// the hook to the collectors.
func BenchmarkBreakerHook(b *testing.B) {
	for _, tc := range []struct {
		name     string
		services []string
	}{
		{"closed-set", []string{"openai", "deepgram", "backend"}},
		{"open-set", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			hook := newBenchMetrics(b, metrics.Options{Services: tc.services}).BreakerHook()
			ev := breaker.StateChange{Name: "openai", From: breaker.StateClosed,
				To: breaker.StateOpen}
			b.ReportAllocs()
			for b.Loop() {
				hook(ev)
			}
		})
	}
}

func BenchmarkBreakerHookParallel(b *testing.B) {
	hook := newBenchMetrics(b, metrics.Options{Services: []string{"openai"}}).BreakerHook()
	ev := breaker.StateChange{Name: "openai", From: breaker.StateClosed, To: breaker.StateOpen}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			hook(ev)
		}
	})
}

func BenchmarkRetryHook(b *testing.B) {
	hook := newBenchMetrics(b, metrics.Options{}).RetryHook("stt")
	ev := retry.RetryEvent{Attempt: 1, Reason: retry.RetryReasonError}
	b.ReportAllocs()
	for b.Loop() {
		hook(ev)
	}
}

func BenchmarkStrategyHook(b *testing.B) {
	hook := newBenchMetrics(b, metrics.Options{}).StrategyHook("vision", "coordinates")
	ev := strategy.Event{Kind: strategy.EventAttemptEnd, Strategy: "vision",
		Outcome: strategy.OutcomeFailed}
	b.ReportAllocs()
	for b.Loop() {
		hook(ev)
	}
}

func BenchmarkWebSocketDisconnectHook(b *testing.B) {
	_, hook := newBenchMetrics(b, metrics.Options{}).WebSocketHooks()
	ev := wsreconnect.DisconnectEvent{Reason: wsreconnect.ReasonHeartbeat}
	b.ReportAllocs()
	for b.Loop() {
		hook(ev)
	}
}

func BenchmarkSessionDecisionHook(b *testing.B) {
	hook := newBenchMetrics(b, metrics.Options{}).SessionHooks().OnDecision
	ev := session.DecisionEvent{Decision: session.Decision{Reason: session.ReasonNotGranted}}
	b.ReportAllocs()
	for b.Loop() {
		hook(ev)
	}
}
