package backoff_test

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/backoff"
)

func mustNew(t testing.TB, cfg backoff.Config) *backoff.Policy {
	t.Helper()
	p, err := backoff.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) error: %v", cfg, err)
	}
	return p
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name  string
		cfg   backoff.Config
		field string
	}{
		{"unknown kind", backoff.Config{Kind: 7}, "Kind"},
		{"negative kind", backoff.Config{Kind: -1}, "Kind"},
		{"unknown jitter", backoff.Config{Jitter: 9}, "Jitter"},
		{"negative jitter", backoff.Config{Jitter: -1}, "Jitter"},
		{"negative initial", backoff.Config{Initial: -time.Second}, "Initial"},
		{"negative step", backoff.Config{Kind: backoff.KindLinear, Step: -1}, "Step"},
		{"negative max", backoff.Config{Max: -time.Nanosecond}, "Max"},
		{"negative max retries", backoff.Config{MaxRetries: -1}, "MaxRetries"},
		{"multiplier below one", backoff.Config{Multiplier: 0.5}, "Multiplier"},
		{"negative multiplier", backoff.Config{Multiplier: -2}, "Multiplier"},
		{"NaN multiplier", backoff.Config{Multiplier: math.NaN()}, "Multiplier"},
		{"infinite multiplier", backoff.Config{Multiplier: math.Inf(1)}, "Multiplier"},
		{"multiplier below one, linear", backoff.Config{Kind: backoff.KindLinear,
			Multiplier: 0.5}, "Multiplier"},
		{"negative step, constant", backoff.Config{Kind: backoff.KindConstant, Step: -1},
			"Step"},
		{
			"decorrelated without initial",
			backoff.Config{Kind: backoff.KindLinear, Jitter: backoff.JitterDecorrelated},
			"Initial",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := backoff.New(tt.cfg)
			if err == nil {
				t.Fatalf("New(%+v) = %v, nil; want an error naming %s", tt.cfg, p, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "backoff: ") {
				t.Errorf("error %q lacks the backoff: prefix", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the field %s", err, tt.field)
			}
		})
	}
}

func TestNewFillsDefaults(t *testing.T) {
	cfg := mustNew(t, backoff.Config{}).Config()
	if cfg.Initial != time.Second {
		t.Errorf("Initial = %v, want 1s", cfg.Initial)
	}
	if cfg.Multiplier != 2 {
		t.Errorf("Multiplier = %v, want 2", cfg.Multiplier)
	}
	if cfg.Max != math.MaxInt64 {
		t.Errorf("Max = %v, want the largest duration", cfg.Max)
	}
	if cfg.MaxRetries != 0 {
		t.Errorf("MaxRetries = %d, want 0", cfg.MaxRetries)
	}
}

func TestNewDoesNotChangeCallerConfig(t *testing.T) {
	cfg := backoff.Config{}
	mustNew(t, cfg)
	if cfg != (backoff.Config{}) {
		t.Errorf("New changed its argument to %+v", cfg)
	}
}

func TestDelay(t *testing.T) {
	const s, ms = time.Second, time.Millisecond
	tests := []struct {
		name   string
		policy *backoff.Policy
		want   map[int]time.Duration // attempt -> delay
	}{
		{"network", backoff.Network(), map[int]time.Duration{
			-5: s, 0: s, 1: s, 2: 2 * s, 3: 4 * s, 4: 8 * s, 5: 16 * s, 6: 32 * s,
			7: 32 * s, 64: 32 * s, 65: 32 * s, math.MaxInt: 32 * s,
		}},
		{"storage", backoff.Storage(), map[int]time.Duration{
			1: 0, 2: 100 * ms, 3: 200 * ms, 5: 400 * ms, 11: s, 12: s, math.MaxInt: s,
		}},
		{"constant", mustNew(t, backoff.Config{Kind: backoff.KindConstant, Initial: 3 * s}),
			map[int]time.Duration{1: 3 * s, 2: 3 * s, math.MaxInt: 3 * s}},
		{"constant above cap", mustNew(t, backoff.Config{
			Kind: backoff.KindConstant, Initial: 3 * s, Max: s,
		}), map[int]time.Duration{1: s, math.MaxInt: s}},
		{"initial above cap", mustNew(t, backoff.Config{Initial: time.Hour, Max: s}),
			map[int]time.Duration{1: s, 2: s, math.MaxInt: s}},
		{"linear with initial", mustNew(t, backoff.Config{
			Kind: backoff.KindLinear, Initial: s, Step: s, Max: 3 * s,
		}), map[int]time.Duration{1: s, 2: 2 * s, 3: 3 * s, 4: 3 * s}},
		{"uncapped exponential saturates", mustNew(t, backoff.Config{}),
			map[int]time.Duration{1: s, 63: math.MaxInt64, math.MaxInt: math.MaxInt64}},
		{"uncapped linear saturates", mustNew(t, backoff.Config{
			Kind: backoff.KindLinear, Step: time.Duration(math.MaxInt64 / 2),
		}), map[int]time.Duration{3: math.MaxInt64 - 1, 4: math.MaxInt64, math.MaxInt: math.MaxInt64}},
		{"multiplier one", mustNew(t, backoff.Config{Multiplier: 1, Max: time.Hour}),
			map[int]time.Duration{1: s, 64: s, 65: s, math.MaxInt: s}},
		{"multiplier near one passes the table", mustNew(t, backoff.Config{
			Multiplier: 1.01, Max: 10 * s,
		}), map[int]time.Duration{1: s, 300: 10 * s, math.MaxInt: 10 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for attempt, want := range tt.want {
				if got := tt.policy.Delay(attempt); got != want {
					t.Errorf("Delay(%d) = %v, want %v", attempt, got, want)
				}
			}
		})
	}
}

// TestDelayStaysInRange covers the overflow bugs of peer libraries: a delay
// that wraps negative or passes the cap at high attempt numbers.
func TestDelayStaysInRange(t *testing.T) {
	configs := []backoff.Config{
		{},
		{Max: 32 * time.Second},
		{Multiplier: 1.0000001, Max: time.Hour},
		{Multiplier: 10, Max: 24 * time.Hour},
		{Multiplier: 1e300},
		{Multiplier: math.MaxFloat64, Initial: time.Nanosecond},
		{Initial: math.MaxInt64},
		{Initial: math.MaxInt64, Max: time.Nanosecond},
		{Kind: backoff.KindLinear, Step: math.MaxInt64},
		{Kind: backoff.KindLinear, Initial: math.MaxInt64 - 1, Step: 2},
		{Kind: backoff.KindLinear, Step: time.Nanosecond, Max: time.Minute},
		{Kind: backoff.KindConstant, Initial: math.MaxInt64},
	}
	attempts := []int{
		math.MinInt, -1, 0, 1, 2, 30, 62, 63, 64, 65, 100, 1000, 1 << 31,
		math.MaxInt / 2, math.MaxInt - 1, math.MaxInt,
	}
	for _, cfg := range configs {
		p := mustNew(t, cfg)
		limit := p.Config().Max
		prev := time.Duration(-1)
		for _, n := range attempts {
			d := p.Delay(n)
			if d < 0 || d > limit {
				t.Errorf("%+v: Delay(%d) = %v, want within [0, %v]", cfg, n, d, limit)
			}
			if d < prev {
				t.Errorf("%+v: Delay(%d) = %v, below the previous %v", cfg, n, d, prev)
			}
			prev = d
		}
	}
}

func TestSequenceJitterStaysWithinCap(t *testing.T) {
	const limit = 32 * time.Second
	tests := []struct {
		jitter backoff.Jitter
		lo     time.Duration // lowest delay allowed once the cap is reached
	}{
		{backoff.JitterNone, limit},
		{backoff.JitterFull, 0},
		{backoff.JitterEqual, limit / 2},
		{backoff.JitterDecorrelated, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.jitter.String(), func(t *testing.T) {
			p := mustNew(t, backoff.Config{Max: limit, Jitter: tt.jitter, Seed: 7})
			seq := p.Start()
			distinct := map[time.Duration]bool{}
			for i := 1; i <= 2000; i++ {
				d, ok := seq.Next()
				if !ok {
					t.Fatalf("Next() #%d ended a sequence without MaxRetries", i)
				}
				if d < 0 || d > limit {
					t.Fatalf("Next() #%d = %v, want within [0, %v]", i, d, limit)
				}
				if i > 10 { // the cap is reached from retry 7 on
					if d < tt.lo {
						t.Fatalf("Next() #%d = %v, want at least %v", i, d, tt.lo)
					}
					distinct[d] = true
				}
			}
			// Clients that all reached the cap must still spread out.
			if tt.jitter != backoff.JitterNone && len(distinct) < 1000 {
				t.Errorf("%d distinct delays at the cap, want at least 1000", len(distinct))
			}
		})
	}
}

func TestSequenceJitterExtremeSettings(t *testing.T) {
	for _, j := range []backoff.Jitter{
		backoff.JitterFull, backoff.JitterEqual, backoff.JitterDecorrelated,
	} {
		for _, cfg := range []backoff.Config{
			{Jitter: j, Initial: math.MaxInt64},
			{Jitter: j, Initial: time.Nanosecond, Max: time.Nanosecond},
			{Jitter: j, Initial: time.Hour, Max: time.Second},
			{Jitter: j, Multiplier: 1e300},
		} {
			p := mustNew(t, cfg)
			seq := p.Start()
			for i := 0; i < 200; i++ {
				d, _ := seq.Next()
				if d < 0 || d > p.Config().Max {
					t.Fatalf("%+v: Next() #%d = %v, want within [0, %v]",
						cfg, i+1, d, p.Config().Max)
				}
			}
		}
	}
}

func TestSequenceStopsAfterMaxRetries(t *testing.T) {
	seq := backoff.Network().Start()
	for i := 1; i <= 5; i++ {
		d, ok := seq.Next()
		if !ok {
			t.Fatalf("Next() #%d = _, false; want a delay", i)
		}
		base := backoff.Network().Delay(i)
		if d < base/2 || d > base {
			t.Errorf("Next() #%d = %v, want within [%v, %v]", i, d, base/2, base)
		}
	}
	for i := 6; i <= 7; i++ {
		if d, ok := seq.Next(); ok {
			t.Errorf("Next() #%d = %v, true; want false after 5 retries", i, d)
		}
	}
}

func TestSequenceStorageDelays(t *testing.T) {
	seq := backoff.Storage().Start()
	var got []time.Duration
	for {
		d, ok := seq.Next()
		if !ok {
			break
		}
		got = append(got, d)
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond,
		300 * time.Millisecond, 400 * time.Millisecond}
	if len(got) != len(want) {
		t.Fatalf("Storage sequence = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Storage retry %d = %v, want %v", i+1, got[i], want[i])
		}
	}
}

func TestSeedMakesSequencesReproducible(t *testing.T) {
	for _, j := range []backoff.Jitter{
		backoff.JitterFull, backoff.JitterEqual, backoff.JitterDecorrelated,
	} {
		p := mustNew(t, backoff.Config{Jitter: j, Max: time.Minute, Seed: 42})
		a, b := p.Start(), p.Start()
		for i := 1; i <= 50; i++ {
			da, _ := a.Next()
			db, _ := b.Next()
			if da != db {
				t.Fatalf("%v: retry %d: %v and %v from the same seed", j, i, da, db)
			}
		}
	}
}

// TestPolicySharedByGoroutines runs under -race in CI: one policy, 100
// goroutines each walking its own sequence.
func TestPolicySharedByGoroutines(t *testing.T) {
	policies := []*backoff.Policy{
		backoff.Network(),
		mustNew(t, backoff.Config{Jitter: backoff.JitterDecorrelated, Max: time.Minute, Seed: 1}),
	}
	for _, p := range policies {
		var wg sync.WaitGroup
		errs := make(chan string, 100)
		for g := 0; g < 100; g++ {
			wg.Go(func() {
				seq := p.Start()
				for i := 1; i <= 20; i++ {
					d, ok := seq.Next()
					if ok && (d < 0 || d > p.Config().Max) {
						errs <- "delay out of range"
						return
					}
					if p.Delay(i) > p.Config().Max {
						errs <- "Delay above the cap"
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

func TestKindAndJitterString(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{backoff.KindExponential.String(), "exponential"},
		{backoff.KindLinear.String(), "linear"},
		{backoff.KindConstant.String(), "constant"},
		{backoff.Kind(9).String(), "Kind(9)"},
		{backoff.JitterNone.String(), "none"},
		{backoff.JitterFull.String(), "full"},
		{backoff.JitterEqual.String(), "equal"},
		{backoff.JitterDecorrelated.String(), "decorrelated"},
		{backoff.Jitter(-1).String(), "Jitter(-1)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPresetMaxRetries(t *testing.T) {
	if got := backoff.Network().MaxRetries(); got != 5 {
		t.Errorf("Network().MaxRetries() = %d, want 5", got)
	}
	if got := backoff.Storage().MaxRetries(); got != 5 {
		t.Errorf("Storage().MaxRetries() = %d, want 5", got)
	}
}
