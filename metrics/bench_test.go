package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/metrics"
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
