package breaker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults used for zero Config fields.
const (
	DefaultConsecutiveFailures = 5
	DefaultMinCalls            = 10
	DefaultWindow              = 60 * time.Second
	DefaultBuckets             = 10
	DefaultOpenTimeout         = 60 * time.Second
	DefaultHalfOpenProbes      = 1
	DefaultProbeTimeout        = 30 * time.Second
)

// maxBuckets bounds Config.Buckets. gobreaker allocates every bucket up
// front, and moving the window by n buckets costs n times Buckets steps
// under its lock.
const maxBuckets = 1000

// Config configures a [Breaker]. The zero value opens after 5 consecutive
// failures, stays open 60 s, then admits one probe with a 30 s deadline and
// closes when it succeeds. New never modifies the Config it is given.
type Config struct {
	// ConsecutiveFailures is how many failures in a row open the breaker
	// in consecutive mode. Zero means 5. It must be zero when FailureRatio
	// is set.
	ConsecutiveFailures int

	// FailureRatio selects failure-rate mode when above zero: the breaker
	// opens when failures / (successes + failures) over the rolling Window
	// reaches FailureRatio, once the window holds at least MinCalls calls
	// that ended as a success or a failure. It must be in (0, 1]. Zero
	// selects consecutive mode.
	FailureRatio float64
	// MinCalls is the number of successes and failures the window must
	// hold before FailureRatio applies. Zero means 10.
	MinCalls int
	// Window is the length of the rolling window. Zero means 60 s. It must
	// be a whole multiple of Buckets nanoseconds.
	Window time.Duration
	// Buckets is how many buckets the window is divided into: outcomes
	// leave the window one bucket (Window / Buckets) at a time. Zero means
	// 10. It must not be above 1000.
	Buckets int

	// OpenTimeout is how long the breaker stays open before it admits
	// probes. Zero means 60 s.
	OpenTimeout time.Duration
	// HalfOpenProbes is how many probes may run at once in the half-open
	// state. Zero means 1.
	HalfOpenProbes int
	// SuccessesToClose is how many successful probes close the breaker.
	// Zero means HalfOpenProbes. It must not be below HalfOpenProbes,
	// because a half-open period admits at most SuccessesToClose probes
	// in total (neutral ones not counted).
	SuccessesToClose int
	// ProbeTimeout bounds each half-open probe. When it passes, the probe
	// counts as a failure and the operation's context is cancelled with
	// cause ErrProbeTimeout. Zero means 30 s.
	ProbeTimeout time.Duration

	// Classify decides the outcome of each call that ran, from the
	// caller's ctx and the operation's error. Nil means DefaultClassify.
	Classify func(ctx context.Context, err error) Outcome
	// OnStateChange, when not nil, is called once for each transition, in
	// transition order and never under a lock. The package documentation
	// states which goroutine calls it. A panic in the hook continues on
	// that goroutine, and the events after it are still delivered.
	OnStateChange func(StateChange)
}

// settings is a Config with defaults applied and limits checked.
type settings struct {
	consecutive  uint32
	ratio        float64
	minCalls     uint32
	window       time.Duration
	buckets      int
	openTimeout  time.Duration
	probes       uint32
	toClose      uint32
	probeTimeout time.Duration
	classify     func(context.Context, error) Outcome // nil means DefaultClassify
	onChange     func(StateChange)
}

func (c *Config) settings() (settings, error) {
	if err := c.checkSigns(); err != nil {
		return settings{}, err
	}
	s := settings{
		consecutive:  uint32(orDefault(c.ConsecutiveFailures, DefaultConsecutiveFailures)),
		ratio:        c.FailureRatio,
		minCalls:     uint32(orDefault(c.MinCalls, DefaultMinCalls)),
		window:       orDefault(c.Window, DefaultWindow),
		buckets:      orDefault(c.Buckets, DefaultBuckets),
		openTimeout:  orDefault(c.OpenTimeout, DefaultOpenTimeout),
		probes:       uint32(orDefault(c.HalfOpenProbes, DefaultHalfOpenProbes)),
		probeTimeout: orDefault(c.ProbeTimeout, DefaultProbeTimeout),
		classify:     c.Classify,
		onChange:     c.OnStateChange,
	}
	s.toClose = uint32(orDefault(c.SuccessesToClose, int(s.probes)))
	if err := c.checkModes(s); err != nil {
		return settings{}, err
	}
	if s.toClose < s.probes {
		return settings{}, fmt.Errorf("breaker: SuccessesToClose %d is below HalfOpenProbes %d",
			s.toClose, s.probes)
	}
	return s, nil
}

// checkSigns rejects negative numbers and counts that do not fit the
// uint32 counters of gobreaker.
func (c *Config) checkSigns() error {
	counts := []struct {
		name  string
		value int
	}{
		{"ConsecutiveFailures", c.ConsecutiveFailures},
		{"MinCalls", c.MinCalls},
		{"Buckets", c.Buckets},
		{"HalfOpenProbes", c.HalfOpenProbes},
		{"SuccessesToClose", c.SuccessesToClose},
	}
	for _, f := range counts {
		if f.value < 0 {
			return fmt.Errorf("breaker: %s %d is negative", f.name, f.value)
		}
		if int64(f.value) > math.MaxUint32 {
			return fmt.Errorf("breaker: %s %d is above %d", f.name, f.value, uint32(math.MaxUint32))
		}
	}
	durations := []struct {
		name  string
		value time.Duration
	}{
		{"Window", c.Window},
		{"OpenTimeout", c.OpenTimeout},
		{"ProbeTimeout", c.ProbeTimeout},
	}
	for _, f := range durations {
		if f.value < 0 {
			return fmt.Errorf("breaker: %s %v is negative", f.name, f.value)
		}
	}
	return nil
}

// checkModes rejects settings of the mode that FailureRatio did not select
// and a window that cannot be split into equal buckets.
func (c *Config) checkModes(s settings) error {
	r := c.FailureRatio
	if math.IsNaN(r) || r < 0 || r > 1 {
		return fmt.Errorf("breaker: FailureRatio %v is outside (0, 1]", r)
	}
	if r == 0 {
		if c.MinCalls != 0 || c.Window != 0 || c.Buckets != 0 {
			return errors.New("breaker: MinCalls, Window and Buckets apply only " +
				"in failure-rate mode, but FailureRatio is zero")
		}
		return nil
	}
	if c.ConsecutiveFailures != 0 {
		return errors.New("breaker: ConsecutiveFailures and FailureRatio are both set; " +
			"set one of them")
	}
	if s.buckets > maxBuckets {
		return fmt.Errorf("breaker: Buckets %d is above %d", s.buckets, maxBuckets)
	}
	if s.window%time.Duration(s.buckets) != 0 {
		return fmt.Errorf("breaker: Window %v is not a multiple of Buckets %d nanoseconds",
			s.window, s.buckets)
	}
	bucket := s.window / time.Duration(s.buckets)
	// gobreaker computes Window + Window/Buckets - 1 when it rounds the
	// window up to whole buckets.
	if s.window > math.MaxInt64-(bucket-1) {
		return fmt.Errorf("breaker: Window %v is too long for %d buckets", s.window, s.buckets)
	}
	return nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
