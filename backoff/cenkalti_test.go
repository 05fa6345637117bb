package backoff_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	cenkalti "github.com/cenkalti/backoff/v4"

	"github.com/cowork-ai/resilience/backoff"
)

func TestPolicyBackOff(t *testing.T) {
	p := mustNew(t, backoff.Config{Initial: time.Second, Max: 4 * time.Second, MaxRetries: 4})
	b := p.BackOff()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second,
		cenkalti.Stop, cenkalti.Stop}
	for i, w := range want {
		if got := b.NextBackOff(); got != w {
			t.Errorf("NextBackOff() #%d = %v, want %v", i+1, got, w)
		}
	}
	b.Reset()
	if got := b.NextBackOff(); got != time.Second {
		t.Errorf("NextBackOff() after Reset = %v, want 1s", got)
	}
}

func TestPolicyBackOffDrivesCenkaltiRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, backoff.Config{Initial: time.Second, MaxRetries: 3})
		start := time.Now()
		calls := 0
		failure := errors.New("unavailable")
		err := cenkalti.Retry(func() error {
			calls++
			return failure
		}, p.BackOff())
		if !errors.Is(err, failure) {
			t.Errorf("Retry() = %v, want %v", err, failure)
		}
		if calls != 4 {
			t.Errorf("operation ran %d times, want 4 (1 + MaxRetries)", calls)
		}
		// 1 s + 2 s + 4 s of waiting, on the fake clock.
		if got := time.Since(start); got != 7*time.Second {
			t.Errorf("Retry() took %v, want 7s", got)
		}
	})
}

// stepBackOff returns its delays in order, then Stop.
type stepBackOff struct {
	delays []time.Duration
	next   int
	resets int
}

func (b *stepBackOff) NextBackOff() time.Duration {
	if b.next >= len(b.delays) {
		return cenkalti.Stop
	}
	b.next++
	return b.delays[b.next-1]
}

func (b *stepBackOff) Reset() { b.next = 0; b.resets++ }

func TestFromBackOff(t *testing.T) {
	var created []*stepBackOff
	s := backoff.FromBackOff(func() cenkalti.BackOff {
		b := &stepBackOff{delays: []time.Duration{time.Second, -5 * time.Second, 3 * time.Second}}
		created = append(created, b)
		return b
	})
	for run := 1; run <= 2; run++ {
		seq := s.Start()
		want := []time.Duration{time.Second, 0, 3 * time.Second}
		for i, w := range want {
			d, ok := seq.Next()
			if !ok || d != w {
				t.Errorf("run %d: Next() #%d = %v, %v; want %v, true", run, i+1, d, ok, w)
			}
		}
		if d, ok := seq.Next(); ok {
			t.Errorf("run %d: Next() after Stop = %v, true; want false", run, d)
		}
	}
	if len(created) != 2 {
		t.Fatalf("factory called %d times for 2 sequences, want 2", len(created))
	}
	for i, b := range created {
		if b.resets != 1 {
			t.Errorf("BackOff %d reset %d times, want once before use", i+1, b.resets)
		}
	}
}

func TestFromBackOffWithCenkaltiExponential(t *testing.T) {
	s := backoff.FromBackOff(func() cenkalti.BackOff {
		b := cenkalti.NewExponentialBackOff()
		b.RandomizationFactor = 0
		b.InitialInterval = 100 * time.Millisecond
		return cenkalti.WithMaxRetries(b, 2)
	})
	seq := s.Start()
	for i, w := range []time.Duration{100 * time.Millisecond, 150 * time.Millisecond} {
		if d, ok := seq.Next(); !ok || d != w {
			t.Errorf("Next() #%d = %v, %v; want %v, true", i+1, d, ok, w)
		}
	}
	if _, ok := seq.Next(); ok {
		t.Error("Next() after 2 retries = true, want false")
	}
}

func TestFromBackOffNil(t *testing.T) {
	if s := backoff.FromBackOff(nil); s != nil {
		t.Errorf("FromBackOff(nil) = %#v, want a nil Schedule", s)
	}
}

func TestFromBackOffFactoryReturnsNil(t *testing.T) {
	s := backoff.FromBackOff(func() cenkalti.BackOff { return nil })
	defer func() {
		r := recover()
		if msg, ok := r.(string); !ok || !strings.Contains(msg, "nil BackOff") {
			t.Errorf("recover() = %v, want a panic naming the nil BackOff", r)
		}
	}()
	s.Start()
}
