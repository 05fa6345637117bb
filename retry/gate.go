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
// too, so until it passes every call sharing the gate stops before its
// next attempt with [ReasonRetryAfterTooLong], unless its own maximum is
// higher. When the gate opens, the calls waiting at it all go on at once.
//
// A Gate is safe for concurrent use. Pass it to calls with [WithGate].
type Gate struct {
	maxWaiting int

	// mu guards the fields below.
	mu      sync.Mutex
	openAt  time.Time // zero while the gate has never closed
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

// closeUntil keeps the gate closed until at least t.
func (g *Gate) closeUntil(t time.Time) {
	g.mu.Lock()
	if t.After(g.openAt) {
		g.openAt = t
	}
	g.mu.Unlock()
}

// enter returns how long a call must wait at time now; while wait is
// positive the call counts as waiting until it calls leave. It returns
// false when the gate is closed and the queue is full.
func (g *Gate) enter(now time.Time) (wait time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	wait = g.openAt.Sub(now)
	if wait <= 0 {
		return 0, true
	}
	if g.waiting >= g.maxWaiting {
		return wait, false
	}
	g.waiting++
	return wait, true
}

func (g *Gate) leave() {
	g.mu.Lock()
	g.waiting--
	g.mu.Unlock()
}
