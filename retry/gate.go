package retry

import (
	"fmt"
	"sync"
	"time"
)

// Gate holds back calls to a rate-limited service. When an attempt fails
// with a server-requested delay, the gate closes until that delay has
// passed, and every call that shares the gate waits for it to open before
// its next attempt instead of adding to the overload. At most maxWaiting
// calls wait at once; one more stops at once with [ReasonQueueFull]. Waits
// at the gate are not retries: they call no hook and take no budget.
//
// A request above a call's maximum ([WithMaxRetryAfter]) closes the gate
// too, so while it lasts every call sharing the gate stops before its next
// attempt with [ReasonRetryAfterTooLong], unless its own maximum is
// higher. One bogus request, such as a delay of years, must not stop every
// call until the process restarts. So once the closing call's maximum has
// passed, one call is let through as a probe. Its own outcome decides what
// follows, and its success opens the gate. When the gate opens, the calls
// waiting at it all go on at once.
//
// A Gate is safe for concurrent use. Pass it to calls with [WithGate].
type Gate struct {
	maxWaiting int

	// mu guards the fields below.
	mu     sync.Mutex
	openAt time.Time // zero while the gate has never closed
	// probeAt, when not zero, is the time after which one call may pass
	// the gate although openAt is beyond its maximum. A request above a
	// call's maximum sets it.
	probeAt time.Time
	waiting int
}

// NewGate returns an open gate that lets at most maxWaiting calls wait
// while it is closed. Zero means calls never wait: they stop at once while
// the gate is closed. A negative maxWaiting is invalid.
func NewGate(maxWaiting int) (*Gate, error) {
	if maxWaiting < 0 {
		return nil, fmt.Errorf("retry: NewGate maxWaiting %d is negative", maxWaiting)
	}
	return &Gate{maxWaiting: maxWaiting}, nil
}

// WithGate makes the call wait at g before each attempt while g is closed,
// and close g when an attempt fails with a server-requested delay. A nil g
// means no gate, the default.
func WithGate(g *Gate) Option {
	return optionFunc(func(c config) config {
		c.gate = g
		return c
	})
}

// OpenAt returns the time the gate opens, or the zero time if it has never
// closed. The gate is open at and after that time.
func (g *Gate) OpenAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.openAt
}

// Waiting returns the number of calls waiting at the gate.
func (g *Gate) Waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// close keeps the gate closed for at least the requested delay from now.
// A request above limit, the closing call's maximum, also lets a probe
// through once limit has passed.
func (g *Gate) close(now time.Time, requested, limit time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := now.Add(requested); t.After(g.openAt) {
		g.openAt = t
	}
	if requested > limit {
		g.probeAt = now.Add(limit)
	}
}

// open opens the gate after a probe succeeded at time now. The service
// responds again, so no call needs to wait for the request that closed it.
func (g *Gate) open(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.openAt.After(now) {
		g.openAt = now
	}
	g.probeAt = time.Time{}
}

// enter returns how long a call whose maximum server-requested delay is
// limit must wait at time now. While wait is positive, the call counts as
// waiting until it calls leave. ok is false when the gate is closed and the
// queue is full. A call that would not wait that long passes as the probe
// when one is due, and then probe is true.
func (g *Gate) enter(now time.Time, limit time.Duration) (wait time.Duration, probe, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	wait = g.openAt.Sub(now)
	if wait <= 0 {
		return 0, false, true
	}
	if wait > limit && !g.probeAt.IsZero() && !now.Before(g.probeAt) {
		g.probeAt = now.Add(limit) // one probe per period
		return 0, true, true
	}
	if g.waiting >= g.maxWaiting {
		return wait, false, false
	}
	g.waiting++
	return wait, false, true
}

func (g *Gate) leave() {
	g.mu.Lock()
	g.waiting--
	g.mu.Unlock()
}
