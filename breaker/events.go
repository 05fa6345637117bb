package breaker

import (
	"sync"
	"sync/atomic"
)

// dispatcher delivers state-change events outside gobreaker's lock. push
// runs under that lock and only queues. flush runs after the lock is
// released and calls the hook for each queued event in queue order, with
// one goroutine delivering at a time.
type dispatcher struct {
	hook func(StateChange)

	// pending is true while the queue may be non-empty; it lets flush
	// skip the mutex on the hot path.
	pending atomic.Bool

	// mu guards the fields below.
	mu         sync.Mutex
	queue      []StateChange
	delivering bool
}

// push queues ev. The caller holds gobreaker's lock, so events are queued
// in transition order.
func (d *dispatcher) push(ev StateChange) {
	if d.hook == nil {
		return
	}
	d.mu.Lock()
	d.queue = append(d.queue, ev)
	d.pending.Store(true)
	d.mu.Unlock()
}

// flush delivers the queued events unless another goroutine is already
// delivering them. The caller must not hold gobreaker's lock.
func (d *dispatcher) flush() {
	if d.pending.Load() {
		d.deliver()
	}
}

func (d *dispatcher) deliver() {
	d.mu.Lock()
	if d.delivering {
		// The goroutine that is delivering takes this event too, after
		// the ones queued before it.
		d.mu.Unlock()
		return
	}
	d.delivering = true
	for len(d.queue) > 0 {
		ev := d.queue[0]
		d.queue = d.queue[:copy(d.queue, d.queue[1:])]
		d.mu.Unlock()
		d.call(ev)
		d.mu.Lock()
	}
	d.delivering = false
	d.pending.Store(false)
	d.mu.Unlock()
}

// call runs the hook for one event. If the hook panics, the panic
// continues, and the next flush delivers the events still queued.
func (d *dispatcher) call(ev StateChange) {
	returned := false
	defer func() {
		if !returned {
			d.mu.Lock()
			d.delivering = false
			d.mu.Unlock()
		}
	}()
	d.hook(ev)
	returned = true
}
