// Package backoff computes the delays between retries: exponential, linear
// and constant schedules with optional jitter, capped and overflow-safe.
//
// Most callers want a preset, [Network] for calls over the network and
// WebSocket reconnects or [Storage] for local disk operations, or a
// [Policy] built with [New] from a [Config]. A Policy is immutable and safe
// for concurrent use. Each call that retries takes its own [Sequence] from
// [Policy.Start]. The Sequence contains the per-call state (attempt number,
// previous delay, random source), so it is not safe for concurrent use.
//
// Policies interoperate with github.com/cenkalti/backoff/v4 in both
// directions: [Policy.BackOff] hands out a cenkalti BackOff, and
// [FromBackOff] turns a cenkalti BackOff factory into a [Schedule].
package backoff

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Kind is the growth curve of a schedule.
type Kind int

const (
	// KindExponential multiplies the delay by Multiplier at each retry.
	KindExponential Kind = iota
	// KindLinear adds Step to the delay at each retry.
	KindLinear
	// KindConstant waits Initial before every retry.
	KindConstant
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case KindExponential:
		return "exponential"
	case KindLinear:
		return "linear"
	case KindConstant:
		return "constant"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Jitter is the way a delay is randomised so that clients which failed
// together do not retry together.
type Jitter int

const (
	// JitterNone uses the computed delay as it is.
	JitterNone Jitter = iota
	// JitterFull draws the delay uniformly from [0, d].
	JitterFull
	// JitterEqual draws the delay uniformly from [d/2, d], so at least half
	// of the computed delay is always waited.
	JitterEqual
	// JitterDecorrelated draws each delay uniformly from
	// [Initial, 3 × previous delay], capped at Max. It ignores Kind.
	JitterDecorrelated
)

// String returns the jitter's lower-case name.
func (j Jitter) String() string {
	switch j {
	case JitterNone:
		return "none"
	case JitterFull:
		return "full"
	case JitterEqual:
		return "equal"
	case JitterDecorrelated:
		return "decorrelated"
	}
	return fmt.Sprintf("Jitter(%d)", int(j))
}

// Config is the plain-data description of a schedule. The zero value is an
// exponential schedule from 1 s doubling without a cap or a retry limit,
// with no jitter. [New] rejects an invalid value in any field, even one
// that the Kind ignores, such as a Multiplier below 1 for KindLinear.
type Config struct {
	// Kind is the growth curve. Zero means KindExponential.
	Kind Kind

	// Initial is the delay before the first retry. For KindExponential,
	// zero means 1 s. For KindLinear and KindConstant, zero means no delay.
	Initial time.Duration

	// Multiplier is the growth factor of KindExponential and must be at
	// least 1. Zero means 2. Other kinds ignore it.
	Multiplier float64

	// Step is the increment of KindLinear. Zero means 100 ms. Other kinds
	// ignore it.
	Step time.Duration

	// Max caps every delay, jitter included. Zero means no cap: delays
	// saturate at the largest time.Duration.
	Max time.Duration

	// Jitter is the randomisation applied to each delay. Zero means
	// JitterNone.
	Jitter Jitter

	// MaxRetries is the number of delays a Sequence yields before it
	// reports that no retry is left. Zero means no limit.
	MaxRetries int

	// Seed, when not zero, seeds every Sequence's random source with the
	// same value, so jittered schedules are reproducible in tests. Zero
	// means each Sequence draws from the runtime's random source.
	Seed uint64
}

// tableSize bounds the precomputed exponential delays. Schedules that need
// more steps to reach their cap fall back to math.Pow past the table.
const tableSize = 64

// Policy is an immutable delay schedule built from a [Config]. It is safe
// for concurrent use; per-call state lives in the [Sequence] that
// [Policy.Start] returns.
type Policy struct {
	cfg Config

	// table holds the exponential delays for retries 1..len(table); a
	// retry past the table whose table ended at the cap gets the cap.
	table      []time.Duration
	tableAtCap bool
}

// New validates cfg and returns the policy it describes. The error names
// the first invalid field.
func New(cfg Config) (*Policy, error) {
	switch {
	case cfg.Kind < KindExponential || cfg.Kind > KindConstant:
		return nil, fmt.Errorf("backoff: Kind %d is not a known kind", int(cfg.Kind))
	case cfg.Jitter < JitterNone || cfg.Jitter > JitterDecorrelated:
		return nil, fmt.Errorf("backoff: Jitter %d is not a known jitter", int(cfg.Jitter))
	case cfg.Initial < 0:
		return nil, fmt.Errorf("backoff: Initial %v is negative", cfg.Initial)
	case cfg.Step < 0:
		return nil, fmt.Errorf("backoff: Step %v is negative", cfg.Step)
	case cfg.Max < 0:
		return nil, fmt.Errorf("backoff: Max %v is negative", cfg.Max)
	case cfg.MaxRetries < 0:
		return nil, fmt.Errorf("backoff: MaxRetries %d is negative", cfg.MaxRetries)
	case math.IsNaN(cfg.Multiplier) || math.IsInf(cfg.Multiplier, 0):
		return nil, fmt.Errorf("backoff: Multiplier %v is not a finite number", cfg.Multiplier)
	case cfg.Multiplier != 0 && cfg.Multiplier < 1:
		return nil, fmt.Errorf("backoff: Multiplier %v is below 1", cfg.Multiplier)
	}

	if cfg.Kind == KindExponential && cfg.Initial == 0 {
		cfg.Initial = time.Second
	}
	if cfg.Multiplier == 0 {
		cfg.Multiplier = 2
	}
	if cfg.Step == 0 {
		cfg.Step = 100 * time.Millisecond
	}
	if cfg.Max == 0 {
		cfg.Max = math.MaxInt64
	}
	if cfg.Jitter == JitterDecorrelated && cfg.Initial == 0 {
		return nil, errors.New("backoff: Initial must be positive with JitterDecorrelated")
	}

	p := &Policy{cfg: cfg}
	if cfg.Kind == KindExponential {
		p.buildTable()
	}
	return p, nil
}

// buildTable precomputes exponential delays until they reach the cap or
// the table is full, so Delay is a lookup for every practical attempt.
func (p *Policy) buildTable() {
	limit := float64(p.cfg.Max)
	d := float64(min(p.cfg.Initial, p.cfg.Max))
	for len(p.table) < tableSize {
		if d >= limit {
			p.table = append(p.table, p.cfg.Max)
			p.tableAtCap = true
			return
		}
		p.table = append(p.table, time.Duration(d))
		d *= p.cfg.Multiplier
	}
}

// Config returns the policy's settings with defaults filled in. A Max of
// the largest time.Duration stands for no cap.
func (p *Policy) Config() Config { return p.cfg }

// MaxRetries returns the number of delays a Sequence yields, or zero for no
// limit.
func (p *Policy) MaxRetries() int { return p.cfg.MaxRetries }

// Delay returns the delay before retry number attempt, counted from 1,
// before jitter. Attempts below 1 count as 1. The result lies in [0, Max]
// for every attempt, multiplier and cap, and computing it never overflows.
func (p *Policy) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	switch p.cfg.Kind {
	case KindLinear:
		return p.linear(attempt)
	case KindConstant:
		return min(p.cfg.Initial, p.cfg.Max)
	}
	return p.exponential(attempt)
}

func (p *Policy) exponential(attempt int) time.Duration {
	if attempt <= len(p.table) {
		return p.table[attempt-1]
	}
	if p.tableAtCap {
		return p.cfg.Max
	}
	if p.cfg.Multiplier == 1 {
		return p.table[0]
	}
	// A multiplier so close to 1 that the cap lies past the table: the
	// power is computed in floating point and compared before converting.
	d := float64(p.cfg.Initial) * math.Pow(p.cfg.Multiplier, float64(attempt-1))
	if d >= float64(p.cfg.Max) {
		return p.cfg.Max
	}
	return time.Duration(d)
}

func (p *Policy) linear(attempt int) time.Duration {
	initial, step, limit := p.cfg.Initial, p.cfg.Step, p.cfg.Max
	if initial >= limit {
		return limit
	}
	// initial + step*(attempt-1) <= limit, rearranged so nothing overflows.
	if int64(attempt-1) > int64((limit-initial)/step) {
		return limit
	}
	return initial + step*time.Duration(attempt-1)
}

// Start returns a new Sequence that walks this policy from its first
// retry. It implements [Schedule].
func (p *Policy) Start() Sequence {
	s := &sequence{policy: p, prev: p.cfg.Initial}
	if p.cfg.Seed != 0 {
		s.rand = rand.New(rand.NewPCG(p.cfg.Seed, p.cfg.Seed))
	}
	return s
}

// Schedule hands out independent per-call sequences of delays. [*Policy]
// implements it, and [FromBackOff] adapts a cenkalti BackOff factory to it.
// Implementations must be safe for concurrent use.
type Schedule interface {
	Start() Sequence
}

// Sequence yields the delays of one call that retries. It is not safe for
// concurrent use.
type Sequence interface {
	// Next returns the delay to wait before the next retry, or false when
	// the schedule allows no more retries.
	Next() (delay time.Duration, ok bool)
}

// sequence is the per-call state of a Policy.
type sequence struct {
	policy  *Policy
	attempt int
	prev    time.Duration // previous delay, for decorrelated jitter
	rand    *rand.Rand    // nil means the runtime's source
}

func (s *sequence) Next() (time.Duration, bool) {
	cfg := &s.policy.cfg
	if cfg.MaxRetries > 0 && s.attempt >= cfg.MaxRetries {
		return 0, false
	}
	s.attempt++

	var d time.Duration
	switch cfg.Jitter {
	case JitterNone:
		d = s.policy.Delay(s.attempt)
	case JitterFull:
		d = s.uniform(0, s.policy.Delay(s.attempt))
	case JitterEqual:
		base := s.policy.Delay(s.attempt)
		d = base - s.uniform(0, base/2)
	case JitterDecorrelated:
		upper := cfg.Max
		if s.prev <= cfg.Max/3 {
			upper = s.prev * 3
		}
		lower := min(cfg.Initial, cfg.Max)
		d = s.uniform(lower, max(lower, upper))
		s.prev = d
	}
	return d, true
}

// uniform returns a duration drawn uniformly from [lo, hi], where
// 0 <= lo <= hi.
func (s *sequence) uniform(lo, hi time.Duration) time.Duration {
	span := uint64(hi-lo) + 1 // cannot overflow: hi-lo <= math.MaxInt64
	var n uint64
	if s.rand != nil {
		n = s.rand.Uint64N(span)
	} else {
		n = rand.Uint64N(span)
	}
	return lo + time.Duration(n)
}

// Network returns the preset for calls over the network and WebSocket
// reconnects: exponential from 1 s, doubling, capped at 32 s, with equal
// jitter, for 5 retries. Without jitter those retries wait 1, 2, 4, 8 and
// 16 s, 31 s in all; equal jitter keeps each wait within its upper half.
func Network() *Policy {
	return mustNew(Config{
		Kind:       KindExponential,
		Initial:    time.Second,
		Multiplier: 2,
		Max:        32 * time.Second,
		Jitter:     JitterEqual,
		MaxRetries: 5,
	})
}

// Storage returns the preset for local storage operations: linear steps of
// 100 ms starting at 0 (0, 100, 200, 300, 400 ms), capped at 1 s, without
// jitter, for 5 retries.
func Storage() *Policy {
	return mustNew(Config{
		Kind:       KindLinear,
		Step:       100 * time.Millisecond,
		Max:        time.Second,
		MaxRetries: 5,
	})
}

func mustNew(cfg Config) *Policy {
	p, err := New(cfg)
	if err != nil {
		panic(err) // unreachable for the presets' constant settings
	}
	return p
}
