package backoff

import (
	"time"

	cenkalti "github.com/cenkalti/backoff/v4"
)

// BackOff returns a github.com/cenkalti/backoff/v4 BackOff that walks this
// policy with its own per-call state. NextBackOff returns cenkalti.Stop when
// MaxRetries is spent; Reset starts the walk again from the first retry.
func (p *Policy) BackOff() cenkalti.BackOff {
	return &cenkaltiAdapter{policy: p, seq: p.Start()}
}

// cenkaltiAdapter presents a Sequence as a cenkalti BackOff.
type cenkaltiAdapter struct {
	policy *Policy
	seq    Sequence
}

var _ cenkalti.BackOff = (*cenkaltiAdapter)(nil)

func (a *cenkaltiAdapter) NextBackOff() time.Duration {
	d, ok := a.seq.Next()
	if !ok {
		return cenkalti.Stop
	}
	return d
}

func (a *cenkaltiAdapter) Reset() { a.seq = a.policy.Start() }

// FromBackOff adapts a factory of github.com/cenkalti/backoff/v4 BackOffs to
// a [Schedule]. Each Start calls newBackOff, resets the result, and ends the
// sequence when it returns cenkalti.Stop. A negative delay other than Stop
// counts as no delay. newBackOff must be safe for concurrent use and must
// return a fresh, non-nil BackOff on each call, because a BackOff holds
// per-call state. Start panics when newBackOff returns nil. FromBackOff(nil)
// returns a nil Schedule, which retry.WithSchedule rejects.
func FromBackOff(newBackOff func() cenkalti.BackOff) Schedule {
	if newBackOff == nil {
		return nil
	}
	return backOffFactory(newBackOff)
}

type backOffFactory func() cenkalti.BackOff

func (f backOffFactory) Start() Sequence {
	b := f()
	if b == nil {
		panic("backoff: the FromBackOff factory returned a nil BackOff")
	}
	b.Reset()
	return backOffSequence{b}
}

type backOffSequence struct{ b cenkalti.BackOff }

func (s backOffSequence) Next() (time.Duration, bool) {
	d := s.b.NextBackOff()
	if d == cenkalti.Stop {
		return 0, false
	}
	return max(d, 0), true
}
