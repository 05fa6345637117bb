package wsreconnect

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// link is one connection and its reader and writer goroutines. The first
// failure reported by either, or by the supervisor, wins; later ones are
// ignored, so racing read and write errors end the link once.
type link struct {
	gen        uint64
	ws         *websocket.Conn
	up         time.Time
	dead       chan struct{} // closed by the first fail
	readerDone chan struct{}
	wg         sync.WaitGroup

	once      sync.Once
	reason    Reason // written once, before dead is closed
	closeCode int
	err       error

	// readCode is the close code the reader received, or 0. It is written
	// before readerDone is closed.
	readCode int
	readErr  error

	byWriter bool // the writer failed first; written before dead is closed
}

// settle prefers the server's close frame to a write error that raced it:
// a server that sends 1008 and closes its socket often fails a write
// before the reader has returned the close frame. It must be called after
// the reader has returned.
func (l *link) settle() {
	if l.readCode != 0 && (l.reason == ReasonConnectionLost || l.reason == ReasonWriteTimeout) {
		l.reason, l.closeCode, l.err = ReasonServerClose, l.readCode, l.readErr
	}
}

func (l *link) fail(reason Reason, closeCode int, err error) {
	l.once.Do(func() {
		l.reason, l.closeCode, l.err = reason, closeCode, err
		close(l.dead)
	})
}

// readerGrace bounds how long the supervisor lets the reader drain the
// socket after a write failed with a reset or broken pipe, so that a
// close frame the server sent before closing is read and its code
// honoured. The reader sees the same reset, so it normally returns in
// microseconds; the bound only matters if it does not.
const readerGrace = 100 * time.Millisecond

// awaitReader gives the reader up to readerGrace to return after the
// writer lost the connection.
func (l *link) awaitReader() {
	if l.reason != ReasonConnectionLost || l.err == nil || !l.byWriter {
		return
	}
	t := time.NewTimer(readerGrace)
	defer t.Stop()
	select {
	case <-l.readerDone:
	case <-t.C:
	}
}

// start installs the heartbeat handlers and starts the reader and writer.
func (c *Client) start(ws *websocket.Conn, gen uint64) *link {
	l := &link{
		gen:        gen,
		ws:         ws,
		up:         time.Now(),
		dead:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	ws.SetPongHandler(func(data string) error {
		c.extendRead(ws)
		// Only the pong of the latest ping gives a round trip: a server
		// may send pongs of its own.
		if len(data) != 8 {
			return nil
		}
		if sent := int64(binary.BigEndian.Uint64([]byte(data))); sent == c.lastPing.Load() {
			c.lastRTT.Store(int64(time.Since(c.epoch)) - sent)
		}
		return nil
	})
	ws.SetPingHandler(func(data string) error {
		c.extendRead(ws)
		deadline := time.Now().Add(c.cfg.WriteTimeout)
		err := ws.WriteControl(websocket.PongMessage, []byte(data), deadline)
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil // the connection is closing; the reader sees why
		}
		return err
	})
	l.wg.Add(2)
	go c.readLoop(l)
	go c.writeLoop(l)
	return l
}

// extendRead renews the read deadline, which any frame received does.
func (c *Client) extendRead(ws *websocket.Conn) {
	ws.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
}

// readLoop reads until the first error, which ends the link. It never
// reads a failed connection again.
func (c *Client) readLoop(l *link) {
	defer l.wg.Done()
	defer close(l.readerDone)
	for {
		c.extendRead(l.ws)
		typ, data, err := l.ws.ReadMessage()
		if err != nil {
			reason, code := readFailure(err)
			l.readCode, l.readErr = code, err
			l.fail(reason, code, err)
			return
		}
		c.received.Add(1)
		c.receivedBytes.Add(uint64(len(data)))
		if h := c.cfg.OnMessage; h != nil {
			h(typ, data)
		}
	}
}

// readFailure classifies a read error.
func readFailure(err error) (Reason, int) {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseAbnormalClosure {
			return ReasonConnectionLost, 0 // gorilla's code for an end of stream
		}
		return ReasonServerClose, ce.Code
	}
	if isTimeout(err) {
		return ReasonHeartbeat, 0
	}
	return ReasonConnectionLost, 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// writeLoop is the one goroutine that writes data frames and pings. It
// sends a due ping before the next batch, so a busy queue cannot starve
// the heartbeat.
func (c *Client) writeLoop(l *link) {
	defer l.wg.Done()
	ticker := time.NewTicker(c.cfg.PingInterval)
	defer ticker.Stop()
	bc, _ := l.ws.NetConn().(*batchConn)
	batch := make([]*Receipt, 0, 8)
	for {
		select {
		case <-l.dead:
			return
		case <-ticker.C:
			if !c.ping(l) {
				return
			}
		default:
		}
		var ok bool
		if batch, ok = c.writeBatch(l, bc, batch[:0]); !ok {
			return
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-c.queue.wake:
		case <-ticker.C:
			if !c.ping(l) {
				return
			}
		case <-l.dead:
			return
		}
	}
}

// writeBatch writes the queued messages, up to the batch limits, with one
// socket write when bc is not nil, and resolves them once that write has
// returned. It returns the messages written, and false when the
// connection failed.
func (c *Client) writeBatch(l *link, bc *batchConn, batch []*Receipt) ([]*Receipt, bool) {
	now := time.Now()
	r := c.queue.pop(now)
	if r == nil {
		return batch, true
	}
	if bc != nil {
		bc.begin()
	}
	deadline := now.Add(c.cfg.WriteTimeout)
	var err error
	for r != nil {
		batch = append(batch, r)
		l.ws.SetWriteDeadline(deadline)
		if err = l.ws.WriteMessage(r.typ, r.data); err != nil {
			break
		}
		if bc == nil || len(batch) == maxBatchMessages || bc.full() {
			break
		}
		r = c.queue.pop(now)
	}
	if bc != nil {
		if ferr := bc.flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		for _, r := range batch {
			c.msgs.rejected.Add(1)
			r.resolve(OutcomeRejected, fmt.Errorf("%w: %w", ErrWriteFailed, err))
		}
		l.failWrite(err)
		return batch, false
	}
	for _, r := range batch {
		c.msgs.sent.Add(1)
		c.msgs.sentBytes.Add(uint64(len(r.data)))
		r.resolve(OutcomeSent, nil)
	}
	return batch, true
}

// ping sends a ping whose payload is the send time, for the round trip.
func (c *Client) ping(l *link) bool {
	var payload [8]byte
	sent := time.Since(c.epoch)
	c.lastPing.Store(int64(sent))
	binary.BigEndian.PutUint64(payload[:], uint64(sent))
	deadline := time.Now().Add(c.cfg.WriteTimeout)
	if err := l.ws.WriteControl(websocket.PingMessage, payload[:], deadline); err != nil {
		l.failWrite(err)
		return false
	}
	return true
}

// failWrite ends the link with a write error.
func (l *link) failWrite(err error) {
	reason := ReasonConnectionLost
	if isTimeout(err) {
		reason = ReasonWriteTimeout
	}
	l.once.Do(func() {
		l.reason, l.err, l.byWriter = reason, err, true
		close(l.dead)
	})
}

// closeGracefully sends a close frame and waits for the server's reply
// until the context given to Close ends, and at most ReadTimeout. The
// reader's deadline alone would not bound the wait, because a server that
// keeps sending data without replying renews it.
func (c *Client) closeGracefully(l *link) {
	l.fail(ReasonLocalClose, 0, nil)
	c.mu.Lock()
	ctx := c.closeCtx
	c.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	deadline := time.Now().Add(c.cfg.WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := l.ws.WriteControl(websocket.CloseMessage, msg, deadline); err != nil {
		return
	}
	t := time.NewTimer(c.cfg.ReadTimeout)
	defer t.Stop()
	select {
	case <-l.readerDone:
	case <-ctx.Done():
	case <-t.C:
	}
}

// teardown closes the socket and waits for the reader and writer.
func (l *link) teardown() {
	l.ws.Close()
	l.wg.Wait()
}

// Conn is the connection handed to the OnConnect hook, before the reader
// and writer start. It is valid only during the hook, which may read and
// write directly; messages it reads are not passed to OnMessage. It is not
// safe for concurrent use.
type Conn struct {
	ws           *websocket.Conn
	ctx          context.Context
	writeTimeout time.Duration
}

// WriteMessage writes a data message within WriteTimeout and the hook's
// deadline, whichever ends first.
func (c *Conn) WriteMessage(messageType int, data []byte) error {
	deadline := time.Now().Add(c.writeTimeout)
	if d, ok := c.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.ws.SetWriteDeadline(deadline)
	return c.ws.WriteMessage(messageType, data)
}

// ReadMessage reads the next data message until the hook's deadline.
func (c *Conn) ReadMessage() (messageType int, data []byte, err error) {
	d, _ := c.ctx.Deadline()
	c.ws.SetReadDeadline(d)
	return c.ws.ReadMessage()
}

// Subprotocol returns the subprotocol the server selected, or "".
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }
