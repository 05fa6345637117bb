package backoff_test

import (
	"math"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/backoff"
)

// FuzzDelay checks the delay arithmetic for any settings New accepts: every
// delay, with or without jitter, lies within [0, Max] and nothing panics.
func FuzzDelay(f *testing.F) {
	f.Add(0, 0, int64(time.Second), 2.0, int64(0), int64(32*time.Second), 5, math.MaxInt, uint64(1))
	f.Add(0, 2, int64(1), 1e300, int64(0), int64(0), 0, 64, uint64(0))
	f.Add(1, 1, int64(math.MaxInt64), 0.0, int64(math.MaxInt64), int64(0), 0, math.MaxInt, uint64(9))
	f.Add(2, 3, int64(5), 1.0, int64(0), int64(3), 1, -1, uint64(3))
	f.Add(0, 3, int64(time.Millisecond), 1.0000001, int64(0), int64(time.Hour), 0, 1<<40, uint64(5))
	f.Fuzz(func(t *testing.T, kind, jitter int, initial int64, multiplier float64,
		step, maxDelay int64, maxRetries, attempt int, seed uint64) {
		cfg := backoff.Config{
			Kind:       backoff.Kind(kind),
			Jitter:     backoff.Jitter(jitter),
			Initial:    time.Duration(initial),
			Multiplier: multiplier,
			Step:       time.Duration(step),
			Max:        time.Duration(maxDelay),
			MaxRetries: maxRetries % 1000,
			Seed:       seed,
		}
		p, err := backoff.New(cfg)
		if err != nil {
			return
		}
		limit := p.Config().Max
		for _, n := range []int{attempt, attempt - 1, attempt + 1, 1, 64, 65, math.MaxInt} {
			if d := p.Delay(n); d < 0 || d > limit {
				t.Fatalf("%+v: Delay(%d) = %v, want within [0, %v]", cfg, n, d, limit)
			}
		}
		seq := p.Start()
		for i := 1; i <= 80; i++ {
			d, ok := seq.Next()
			if !ok {
				break
			}
			if d < 0 || d > limit {
				t.Fatalf("%+v: Next() #%d = %v, want within [0, %v]", cfg, i, d, limit)
			}
		}
	})
}
