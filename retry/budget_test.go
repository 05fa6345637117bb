package retry

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewBudgetRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		cfg   BudgetConfig
		field string
	}{
		{BudgetConfig{Ratio: -0.1}, "Ratio"},
		{BudgetConfig{Ratio: 1.5}, "Ratio"},
		{BudgetConfig{Ratio: math.NaN()}, "Ratio"},
		{BudgetConfig{MinPerSecond: -1}, "MinPerSecond"},
		{BudgetConfig{MinPerSecond: math.Inf(1)}, "MinPerSecond"},
		{BudgetConfig{Burst: 0.5}, "Burst"},
		{BudgetConfig{Burst: -3}, "Burst"},
	}
	for _, tt := range tests {
		b, err := NewBudget(tt.cfg)
		if err == nil {
			t.Errorf("NewBudget(%+v) = %v, nil; want an error naming %s", tt.cfg, b, tt.field)
			continue
		}
		if !strings.HasPrefix(err.Error(), "retry: BudgetConfig."+tt.field+" ") {
			t.Errorf("NewBudget(%+v) error %q does not name %s", tt.cfg, err, tt.field)
		}
	}
}

func TestBudgetDefaults(t *testing.T) {
	b, err := NewBudget(BudgetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if b.ratio != 0.1 || b.perSecond != 1 || b.burst != 10 {
		t.Errorf("defaults = ratio %v, per second %v, burst %v; want 0.1, 1, 10",
			b.ratio, b.perSecond, b.burst)
	}
	if got := b.Tokens(time.Now()); got != 10 {
		t.Errorf("Tokens() = %v, want a full budget of 10", got)
	}
}

func TestBudgetRatioAndFloor(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b, err := NewBudget(BudgetConfig{Ratio: 0.5, MinPerSecond: 2, Burst: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The full burst, then nothing until calls or time add tokens.
	for i := 1; i <= 3; i++ {
		if !b.withdraw(now) {
			t.Fatalf("retry %d of a full budget of 3 rejected", i)
		}
	}
	if b.withdraw(now) {
		t.Fatal("retry 4 allowed from an empty budget")
	}

	// Each call earns half a retry: two calls earn one.
	b.deposit()
	if b.withdraw(now) {
		t.Error("retry allowed after one call earned 0.5 tokens")
	}
	b.deposit()
	if !b.withdraw(now) {
		t.Error("retry rejected after two calls earned 1 token")
	}

	// The floor adds 2 retries a second whatever the traffic.
	now = now.Add(500 * time.Millisecond)
	if !b.withdraw(now) {
		t.Error("retry rejected 0.5 s later, want the floor to have added 1 token")
	}
	if b.withdraw(now) {
		t.Error("second retry allowed 0.5 s later, want the floor to add only 1")
	}

	// Tokens never pass the burst, and a clock going backwards earns nothing.
	now = now.Add(time.Hour)
	if got := b.Tokens(now); got != 3 {
		t.Errorf("Tokens() after an hour = %v, want the burst of 3", got)
	}
	for range 3 {
		b.withdraw(now)
	}
	if got := b.Tokens(now.Add(-time.Minute)); got != 0 {
		t.Errorf("Tokens() at an earlier time = %v, want 0", got)
	}
	if got := b.Tokens(now.Add(time.Second)); got != 2 {
		t.Errorf("Tokens() one second on = %v, want 2", got)
	}
}

func TestBudgetConcurrentUse(t *testing.T) {
	b, err := NewBudget(BudgetConfig{Ratio: 1, MinPerSecond: 1e-9, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 1000 {
		b.withdraw(now) // empty the bucket
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 100 {
		wg.Go(func() {
			b.deposit()
			if b.withdraw(now) {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// 100 calls at a ratio of 1 earn exactly 100 retries.
	if allowed != 100 {
		t.Errorf("%d retries allowed, want 100", allowed)
	}
}
