package wsreconnect

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Outcome is the final state of a message: sent, rejected or expired.
type Outcome int32

const (
	// OutcomePending means the message is queued or being written.
	OutcomePending Outcome = iota
	// OutcomeSent means the message was written to the socket. It does not
	// mean that the server has read or processed it.
	OutcomeSent
	// OutcomeRejected means the message was never written, or its write
	// failed: the queue was full, the client was closed or disconnected
	// in fail-fast mode, or the socket failed.
	OutcomeRejected
	// OutcomeExpired means the message's deadline passed before it could
	// be written.
	OutcomeExpired
)

// String returns the outcome's lower-case name.
func (o Outcome) String() string {
	switch o {
	case OutcomePending:
		return "pending"
	case OutcomeSent:
		return "sent"
	case OutcomeRejected:
		return "rejected"
	case OutcomeExpired:
		return "expired"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Receipt tracks one message from [Client.SendAsync] until it is sent,
// rejected or expired. Its methods are safe for concurrent use.
type Receipt struct {
	typ      int
	data     []byte
	deadline time.Time // when the message expires in the queue

	// prev and next link the queue; guarded by the queue's lock.
	prev, next *Receipt
	queued     bool

	outcome atomic.Int32
	err     error // written once before done is signalled

	// done is closed on resolution for SendAsync receipts. For Send's
	// pooled receipts it has capacity 1 and receives one value instead,
	// so it can be reused.
	done   chan struct{}
	pooled bool
}

// Done returns a channel that is closed when the message is resolved.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Outcome returns the message's outcome, OutcomePending until resolved.
func (r *Receipt) Outcome() Outcome { return Outcome(r.outcome.Load()) }

// Err returns nil if the message was sent, or the error that resolved it
// otherwise. It returns nil while the message is pending: wait for Done
// first.
func (r *Receipt) Err() error {
	if r.Outcome() == OutcomePending {
		return nil
	}
	return r.err
}

// resolve records the outcome and wakes the waiter. It must be called
// exactly once per use of r.
func (r *Receipt) resolve(o Outcome, err error) {
	r.err = err
	r.outcome.Store(int32(o))
	if r.pooled {
		r.done <- struct{}{}
	} else {
		close(r.done)
	}
}

// newPooledReceipt makes a reusable receipt for Send. Each Client has its
// own pool: a channel made inside a testing/synctest bubble must not be
// used outside it, and a package-wide pool would share channels between
// bubbles.
func newPooledReceipt() any {
	return &Receipt{done: make(chan struct{}, 1), pooled: true}
}

// counters are the message statistics, updated atomically.
type counters struct {
	sent, sentBytes, rejected, expired, dropped atomic.Uint64
}

// queue is the bounded send queue: a doubly linked list of receipts in
// FIFO order, which is also deadline order because every message gets the
// same TTL.
type queue struct {
	maxMessages, maxBytes int
	ttl                   time.Duration
	dropOldest, failFast  bool
	stats                 *counters

	// wake has capacity 1 and is signalled when a message is queued.
	wake chan struct{}

	// mu guards the fields below.
	mu         sync.Mutex
	head, tail *Receipt
	n, bytes   int
	connected  bool  // a connection is flushing the queue
	stopped    error // non-nil once the client has stopped
	timer      *time.Timer
	timerArmed bool
}

func newQueue(s *settings, stats *counters) *queue {
	return &queue{
		maxMessages: s.QueueMessages,
		maxBytes:    s.QueueBytes,
		ttl:         s.QueueTTL,
		dropOldest:  s.DropOldest,
		failFast:    s.FailFast,
		stats:       stats,
		wake:        make(chan struct{}, 1),
	}
}

// push queues r or resolves it at once with the reason it cannot be
// queued.
func (q *queue) push(r *Receipt) {
	size := len(r.data)
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.stopped != nil:
		q.rejectLocked(r, q.stopped)
		return
	case q.failFast && !q.connected:
		q.rejectLocked(r, ErrNotConnected)
		return
	case size > q.maxBytes:
		q.rejectLocked(r, ErrTooLarge)
		return
	}
	for q.n >= q.maxMessages || q.bytes+size > q.maxBytes {
		if !q.dropOldest {
			q.rejectLocked(r, ErrQueueFull)
			return
		}
		old := q.head
		q.unlinkLocked(old)
		q.stats.dropped.Add(1)
		q.rejectLocked(old, ErrDropped)
	}
	r.deadline = time.Now().Add(q.ttl)
	q.linkLocked(r)
	if !q.timerArmed {
		q.armLocked(q.ttl)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) rejectLocked(r *Receipt, err error) {
	q.stats.rejected.Add(1)
	r.resolve(OutcomeRejected, err)
}

func (q *queue) linkLocked(r *Receipt) {
	r.queued = true
	r.prev, r.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = r
	} else {
		q.head = r
	}
	q.tail = r
	q.n++
	q.bytes += len(r.data)
}

func (q *queue) unlinkLocked(r *Receipt) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		q.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		q.tail = r.prev
	}
	r.prev, r.next, r.queued = nil, nil, false
	q.n--
	q.bytes -= len(r.data)
}

// pop removes and returns the oldest message that has not expired, or nil
// when none is left or no connection is flushing. Expired messages met on
// the way are resolved.
func (q *queue) pop(now time.Time) *Receipt {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.connected {
		return nil
	}
	for q.head != nil {
		r := q.head
		q.unlinkLocked(r)
		if now.Before(r.deadline) {
			return r
		}
		q.expireLocked(r, ErrExpired)
	}
	return nil
}

func (q *queue) expireLocked(r *Receipt, err error) {
	q.stats.expired.Add(1)
	r.resolve(OutcomeExpired, err)
}

// remove takes r out of the queue and resolves it as expired with err. It
// reports false when r was no longer queued, because the writer holds it
// or it is resolved already.
func (q *queue) remove(r *Receipt, err error) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !r.queued {
		return false
	}
	q.unlinkLocked(r)
	q.expireLocked(r, err)
	return true
}

// armLocked starts or restarts the expiry timer to fire after d.
func (q *queue) armLocked(d time.Duration) {
	q.timerArmed = true
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.expire)
		return
	}
	q.timer.Reset(d)
}

// expire resolves the messages whose deadline has passed and rearms the
// timer for the oldest one left.
func (q *queue) expire() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.timerArmed = false
	if q.stopped != nil {
		return
	}
	now := time.Now()
	for q.head != nil && !now.Before(q.head.deadline) {
		r := q.head
		q.unlinkLocked(r)
		q.expireLocked(r, ErrExpired)
	}
	if q.head != nil {
		q.armLocked(q.head.deadline.Sub(now))
	}
}

// setConnected opens or closes the queue for flushing. Closing it in
// fail-fast mode rejects every queued message with ErrNotConnected.
func (q *queue) setConnected(on bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.connected = on
	if on {
		select {
		case q.wake <- struct{}{}:
		default:
		}
		return
	}
	if q.failFast {
		q.drainLocked(ErrNotConnected)
	}
}

// stop rejects every queued message and every later push with err.
func (q *queue) stop(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = err
	q.connected = false
	q.drainLocked(err)
	if q.timer != nil {
		q.timer.Stop()
	}
}

func (q *queue) drainLocked(err error) {
	for q.head != nil {
		r := q.head
		q.unlinkLocked(r)
		q.rejectLocked(r, err)
	}
}

// depth returns the number of queued messages and their bytes.
func (q *queue) depth() (int, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.bytes
}
