package backoff_test

import (
	"testing"
	"time"

	"github.com/cowork-ai/resilience/backoff"
)

var sinkDelay time.Duration

func BenchmarkDelay(b *testing.B) {
	cases := []struct {
		name    string
		policy  *backoff.Policy
		attempt int
	}{
		{"exponential", backoff.Network(), 3},
		{"exponential/at_cap", backoff.Network(), 1 << 40},
		{"linear", backoff.Storage(), 4},
		{"exponential/past_table", mustNew(b, backoff.Config{Multiplier: 1.01}), 500},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkDelay = c.policy.Delay(c.attempt)
			}
		})
	}
}

func BenchmarkDelayParallel(b *testing.B) {
	p := backoff.Network()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var d time.Duration
		for pb.Next() {
			d = p.Delay(4)
		}
		sinkDelay = d
	})
}

func BenchmarkSequenceNext(b *testing.B) {
	for _, j := range []backoff.Jitter{
		backoff.JitterNone, backoff.JitterEqual, backoff.JitterDecorrelated,
	} {
		b.Run(j.String(), func(b *testing.B) {
			seq := mustNew(b, backoff.Config{Max: 32 * time.Second, Jitter: j}).Start()
			b.ReportAllocs()
			for b.Loop() {
				sinkDelay, _ = seq.Next()
			}
		})
	}
}

func BenchmarkStart(b *testing.B) {
	p := backoff.Network()
	b.ReportAllocs()
	for b.Loop() {
		seq := p.Start()
		sinkDelay, _ = seq.Next()
	}
}
