package retry

import (
	"context"
	"sync"
	"time"
)

// attemptContext is the context of an attempt without a per-attempt
// timeout: a child of the call's context that end cancels when the attempt
// returns. The cancelable context underneath is created by the first call
// of Done, so an operation that never calls it costs one small allocation.
// Until then, Err and Value come from the parent, and Deadline always does.
type attemptContext struct {
	parent context.Context

	// mu guards the fields below.
	mu     sync.Mutex
	child  context.Context // created by the first call of Done
	cancel context.CancelFunc
	err    error // Err after end when child is nil
}

var _ context.Context = (*attemptContext)(nil)

// closedChan is the Done channel of an attempt that ended before anyone
// asked for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (c *attemptContext) Deadline() (time.Time, bool) { return c.parent.Deadline() }

func (c *attemptContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.child != nil {
		return c.child.Done()
	}
	if c.err != nil {
		return closedChan
	}
	c.child, c.cancel = context.WithCancel(c.parent)
	return c.child.Done()
}

func (c *attemptContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.child != nil:
		return c.child.Err()
	case c.err != nil:
		return c.err
	}
	return c.parent.Err()
}

// Value returns the child's value once there is a child, so that contexts
// derived from this one find the child's cancelation and need no goroutine
// to watch it.
func (c *attemptContext) Value(key any) any {
	c.mu.Lock()
	child := c.child
	c.mu.Unlock()
	if child != nil {
		return child.Value(key)
	}
	return c.parent.Value(key)
}

// end cancels the context. It is called once, when the attempt returns.
func (c *attemptContext) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.child != nil {
		c.cancel()
		return
	}
	c.err = c.parent.Err()
	if c.err == nil {
		c.err = context.Canceled
	}
}
