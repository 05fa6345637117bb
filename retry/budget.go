package retry

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// BudgetConfig describes a [Budget]. The zero value allows retries of up
// to 10% of calls plus 1 retry a second, with up to 10 retries saved up.
type BudgetConfig struct {
	// Ratio is the number of retries each call earns, from 0 to 1: 0.1
	// lets retries add at most 10% to the load that calls make. Zero means
	// 0.1. A tiny positive value gives a budget that only MinPerSecond
	// refills.
	Ratio float64

	// MinPerSecond is the number of retries a second allowed whatever the
	// traffic, so that a client with few calls can still retry. Zero means
	// 1. It must not be negative.
	MinPerSecond float64

	// Burst is the largest number of retries saved up, and the number the
	// budget starts with. Zero means 10. It must be at least 1.
	Burst float64
}

// Budget is a token bucket of retries shared by calls, so that retries
// cannot multiply the load on a service during an outage. Each call that
// uses it deposits Ratio tokens when it makes its first attempt, and each
// retry takes one token. A call stopped before its first attempt, by a
// [Gate] or its context, deposits nothing. The bucket also refills at
// MinPerSecond tokens a second, and it holds at most Burst.
// A retry that finds less than one token stops its call with
// [ReasonBudgetExhausted]: the client, not the server, decided.
//
// A Budget is safe for concurrent use. Pass it to calls with [WithBudget].
type Budget struct {
	ratio, perSecond, burst float64

	// mu guards the fields below.
	mu     sync.Mutex
	tokens float64
	last   time.Time // time of the last refill; zero before the first
}

// NewBudget validates cfg and returns a full budget. The error names the
// first invalid field.
func NewBudget(cfg BudgetConfig) (*Budget, error) {
	for _, f := range []struct {
		name  string
		value float64
	}{{"Ratio", cfg.Ratio}, {"MinPerSecond", cfg.MinPerSecond}, {"Burst", cfg.Burst}} {
		if math.IsNaN(f.value) || math.IsInf(f.value, 0) || f.value < 0 {
			return nil, fmt.Errorf("retry: BudgetConfig.%s %v is not a finite, non-negative number",
				f.name, f.value)
		}
	}
	switch {
	case cfg.Ratio > 1:
		return nil, fmt.Errorf("retry: BudgetConfig.Ratio %v is above 1", cfg.Ratio)
	case cfg.Burst != 0 && cfg.Burst < 1:
		return nil, fmt.Errorf("retry: BudgetConfig.Burst %v is below 1", cfg.Burst)
	}
	b := &Budget{ratio: cfg.Ratio, perSecond: cfg.MinPerSecond, burst: cfg.Burst}
	if b.ratio == 0 {
		b.ratio = 0.1
	}
	if b.perSecond == 0 {
		b.perSecond = 1
	}
	if b.burst == 0 {
		b.burst = 10
	}
	b.tokens = b.burst
	return b, nil
}

// deposit credits one call.
func (b *Budget) deposit() {
	b.mu.Lock()
	b.tokens = min(b.tokens+b.ratio, b.burst)
	b.mu.Unlock()
}

// withdraw takes the token of one retry at time now, and reports whether
// there was one.
func (b *Budget) withdraw(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Tokens returns the number of retries the budget allows at time now.
func (b *Budget) Tokens(now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(now)
	return b.tokens
}

// refillLocked adds the tokens earned since the last refill. A time before
// the last refill earns nothing. The caller holds b.mu.
func (b *Budget) refillLocked(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.tokens+now.Sub(b.last).Seconds()*b.perSecond, b.burst)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
}
