package wsreconnect

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Client keeps one WebSocket connection up, reconnecting with backoff when
// it drops, and sends messages through a bounded queue. Create it with
// [New]; it starts connecting at once. Its methods are safe for concurrent
// use.
type Client struct {
	cfg   *settings
	queue *queue
	msgs  counters
	pool  sync.Pool // *Receipt values for Send
	epoch time.Time // origin of ping timestamps

	ctx    context.Context // cancelled by Close; parent of every dial
	cancel context.CancelFunc
	done   chan struct{} // closed when the supervisor has returned
	force  chan struct{} // capacity 1: ForceReconnect requests

	closeOnce sync.Once
	closing   chan struct{} // closed by Close

	dials, connects, reconnects, disconnects atomic.Uint64
	received, receivedBytes                  atomic.Uint64
	lastRTT                                  atomic.Int64
	lastPing                                 atomic.Int64 // payload of the latest ping
	generation                               atomic.Uint64

	// mu guards the fields below.
	mu       sync.Mutex
	state    State
	changed  chan struct{} // closed and replaced on every state change
	err      error         // the reason the client stopped on its own
	closeCtx context.Context
}

// New validates cfg and returns a client that is already connecting in the
// background. The error names the first invalid Config field. The caller
// must call Close to stop the client's goroutines.
func New(cfg Config) (*Client, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     s,
		epoch:   time.Now(),
		done:    make(chan struct{}),
		force:   make(chan struct{}, 1),
		closing: make(chan struct{}),
		changed: make(chan struct{}),
		state:   StateConnecting,
	}
	c.queue = newQueue(s, &c.msgs)
	c.pool.New = newPooledReceipt
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.supervise()
	return c, nil
}

// Send queues a message and waits until it is written to the socket, is
// rejected, or expires, and returns nil only in the first case. "Sent"
// means written to the socket, not received by the server. When ctx ends
// while the message is queued, the message is removed and Send returns an
// error matching both ErrExpired and ctx's error. When ctx ends while the
// message is being written, Send waits for that write, which WriteTimeout
// bounds. Send does not keep data after it returns.
//
// messageType is websocket.TextMessage or websocket.BinaryMessage.
func (c *Client) Send(ctx context.Context, messageType int, data []byte) error {
	if err := checkType(messageType); err != nil {
		c.msgs.rejected.Add(1)
		return err
	}
	if err := ctx.Err(); err != nil {
		c.msgs.expired.Add(1)
		return fmt.Errorf("%w: %w", ErrExpired, context.Cause(ctx))
	}
	r := c.pool.Get().(*Receipt)
	r.typ, r.data = messageType, data
	c.queue.push(r)
	select {
	case <-r.done:
	case <-ctx.Done():
		if c.queue.remove(r, ErrExpired) {
			<-r.done
			c.putReceipt(r)
			return fmt.Errorf("%w: %w", ErrExpired, context.Cause(ctx))
		}
		<-r.done // the writer holds the message
	}
	err := r.err
	c.putReceipt(r)
	return err
}

func (c *Client) putReceipt(r *Receipt) {
	r.data, r.err = nil, nil
	r.outcome.Store(int32(OutcomePending))
	c.pool.Put(r)
}

// SendAsync queues a message and returns at once with a receipt that
// resolves when the message is sent, rejected or expires. The client keeps
// data until then, so the caller must not modify it before Done is closed.
// A message that cannot be queued gets a receipt that is resolved already.
//
// messageType is websocket.TextMessage or websocket.BinaryMessage.
func (c *Client) SendAsync(messageType int, data []byte) *Receipt {
	r := &Receipt{typ: messageType, data: data, done: make(chan struct{})}
	if err := checkType(messageType); err != nil {
		c.msgs.rejected.Add(1)
		r.resolve(OutcomeRejected, err)
		return r
	}
	c.queue.push(r)
	return r
}

func checkType(messageType int) error {
	if messageType != websocket.TextMessage && messageType != websocket.BinaryMessage {
		return fmt.Errorf("%w %d", ErrInvalidMessage, messageType)
	}
	return nil
}

// Close stops the client. If a connection is up, it sends a close frame
// (1000) and waits for the server's reply until ctx ends, and at most
// Config.ReadTimeout. It cancels any backoff wait, dial or OnConnect hook
// in progress, and rejects queued messages with ErrClosed. No dial starts
// after Close returns, and later sends return ErrClosed.
//
// Close returns nil once every goroutine of the client has returned. If
// ctx ends first, Close returns ctx's error and the remaining goroutines
// return shortly after, as soon as the hooks they are running return. Close
// is idempotent: later calls wait in the same way.
//
// A hook or OnMessage may call Close, but the client's goroutines cannot
// return until that call does: pass a context that ends, such as the
// OnConnect hook's own, or call Close from a new goroutine. With
// context.Background it waits forever.
func (c *Client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closeCtx = ctx
		c.mu.Unlock()
		close(c.closing)
		c.cancel()
	})
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wsreconnect: close: %w", ctx.Err())
	}
}

// ForceReconnect drops the current connection and dials again at once,
// without a backoff wait; use it when the network changes. While the
// client waits out a backoff delay, it cuts the wait short. It does
// nothing on a closed client.
func (c *Client) ForceReconnect() {
	select {
	case c.force <- struct{}{}:
	default: // a request is pending already
	}
}

// State returns the client's current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// WaitConnected blocks until the client is connected and returns nil, or
// returns ErrClosed (wrapping Err, if set) once the client has stopped, or
// ctx's error.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		state, changed, err := c.state, c.changed, c.err
		c.mu.Unlock()
		switch state {
		case StateConnected:
			return nil
		case StateClosed:
			if err != nil {
				return fmt.Errorf("%w: %w", ErrClosed, err)
			}
			return ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wsreconnect: wait for connection: %w", ctx.Err())
		}
	}
}

// Err returns the *Error that made the client stop on its own, or nil
// while it runs or when it was stopped by Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stats is a snapshot of a client's counters. Message counters add up:
// every message given to Send or SendAsync ends in exactly one of
// MessagesSent, MessagesRejected or MessagesExpired, or is still queued or
// being written.
type Stats struct {
	State      State
	Generation uint64 // number of the latest connection, from 1

	Dials       uint64 // dial attempts
	Connects    uint64 // connections that came up, OnConnect included
	Reconnects  uint64 // connections after the first
	Disconnects uint64 // connections that ended

	MessagesSent     uint64 // written to the socket
	BytesSent        uint64 // payload bytes of MessagesSent
	MessagesRejected uint64 // never written or write failed; includes MessagesDropped
	MessagesDropped  uint64 // evicted by the drop-oldest policy
	MessagesExpired  uint64 // deadline passed before the write
	MessagesReceived uint64 // data messages read
	BytesReceived    uint64 // payload bytes of MessagesReceived

	QueueLength int // messages waiting in the queue
	QueueBytes  int // payload bytes waiting in the queue

	// LastRTT is the round-trip time of the latest ping and its pong, or 0.
	LastRTT time.Duration
}

// Stats returns a snapshot of the client's counters. The fields are read
// one by one, so a snapshot taken under traffic may be off by the messages
// that moved while it was taken.
func (c *Client) Stats() Stats {
	n, b := c.queue.depth()
	return Stats{
		State:            c.State(),
		Generation:       c.generation.Load(),
		Dials:            c.dials.Load(),
		Connects:         c.connects.Load(),
		Reconnects:       c.reconnects.Load(),
		Disconnects:      c.disconnects.Load(),
		MessagesSent:     c.msgs.sent.Load(),
		BytesSent:        c.msgs.sentBytes.Load(),
		MessagesRejected: c.msgs.rejected.Load(),
		MessagesDropped:  c.msgs.dropped.Load(),
		MessagesExpired:  c.msgs.expired.Load(),
		MessagesReceived: c.received.Load(),
		BytesReceived:    c.receivedBytes.Load(),
		QueueLength:      n,
		QueueBytes:       b,
		LastRTT:          time.Duration(c.lastRTT.Load()),
	}
}

// setState records a state change and delivers it to OnStateChange. It
// does nothing when the state is unchanged, and runs on the supervisor
// goroutine only, so events arrive in order.
func (c *Client) setState(to State) {
	c.mu.Lock()
	from := c.state
	if from == to {
		c.mu.Unlock()
		return
	}
	c.state = to
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	if h := c.cfg.OnStateChange; h != nil {
		h(StateEvent{From: from, To: to, Generation: c.generation.Load()})
	}
}
