package wsreconnect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/gorilla/websocket"
)

// outage is the supervisor's backoff state. It carries over across
// connections that end before StableAfter.
type outage struct {
	seq        backoff.Sequence
	attempts   int       // dial attempts since the last reset
	start      time.Time // when the current outage began, or zero
	authFailed bool      // the previous attempt got 401 or 403
	lastErr    error
	status     int // HTTP status of the last rejected handshake
	closeCode  int // close code of the last server close
}

// next is the supervisor's decision after a failure: a delay or a stop.
type next struct {
	delay time.Duration
	stop  *Error // non-nil: stop the client
}

// supervise is the supervisor goroutine: it alone dials, numbers
// connections, changes state and calls the hooks, so they run in order.
func (c *Client) supervise() {
	o := &outage{seq: c.cfg.Backoff.Start()}
	var delay time.Duration
	var down time.Time // when the previous connection ended
	for {
		if delay > 0 && !c.wait(delay) {
			break
		}
		if c.ctx.Err() != nil {
			break
		}
		l, err := c.attempt(o, delay)
		if err != nil {
			if c.ctx.Err() != nil {
				break
			}
			n := c.afterAttempt(o, err)
			if n.stop != nil {
				c.fail(n.stop)
				return
			}
			delay = n.delay
			continue
		}
		c.connected(l, o, down)
		ev := c.serve(l)
		down = time.Now()
		c.disconnected(ev)
		if ev.Reason == ReasonLocalClose || c.ctx.Err() != nil {
			break
		}
		n := c.afterDisconnect(o, ev)
		if n.stop != nil {
			c.fail(n.stop)
			return
		}
		delay = n.delay
	}
	c.finish()
}

// wait sleeps for d in StateWaiting. It returns false when Close was
// called, and returns early on ForceReconnect.
func (c *Client) wait(d time.Duration) bool {
	c.setState(StateWaiting)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.force:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// attempt dials once and runs OnConnect, then reports the attempt.
func (c *Client) attempt(o *outage, delay time.Duration) (*link, error) {
	c.setState(StateConnecting)
	o.attempts++
	gen := c.generation.Load() + 1
	info := DialInfo{Attempt: o.attempts, Generation: gen, AuthFailed: o.authFailed, LastErr: o.lastErr}
	began := time.Now()
	c.dials.Add(1)

	ws, err := c.dial(info)
	if err == nil {
		if c.cfg.ReadLimit > 0 {
			ws.SetReadLimit(c.cfg.ReadLimit)
		}
		if err = c.runOnConnect(ws); err != nil {
			ws.Close()
		}
	}
	c.reportAttempt(o.attempts, delay, time.Since(began), err)
	if err != nil {
		return nil, err
	}
	c.generation.Store(gen)
	return c.start(ws, gen), nil
}

func (c *Client) reportAttempt(attempt int, delay, took time.Duration, err error) {
	ev := AttemptEvent{
		Attempt:   attempt,
		Reconnect: c.connects.Load() > 0,
		Delay:     delay,
		Duration:  took,
		Err:       err,
	}
	var he *HandshakeError
	if errors.As(err, &he) {
		ev.StatusCode = he.Status
	}
	c.log(slog.LevelDebug, "websocket dial attempt", "attempt", attempt, "delay", delay, "err", err)
	if h := c.cfg.OnAttempt; h != nil {
		h(ev)
	}
}

// dial resolves the target and performs the upgrade within
// HandshakeTimeout.
func (c *Client) dial(info DialInfo) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.HandshakeTimeout)
	defer cancel()
	t := Target{URL: c.cfg.URL, Header: c.cfg.Header}
	if c.cfg.Target != nil {
		var err error
		if t, err = c.cfg.Target(ctx, info); err != nil {
			return nil, fmt.Errorf("wsreconnect: target: %w", err)
		}
		if err := checkURL(t.URL); err != nil {
			return nil, fmt.Errorf("wsreconnect: target: %w", err)
		}
	}
	d, stop := prepareDialer(ctx, c.cfg.dialer)
	ws, resp, err := d.DialContext(ctx, t.URL, t.Header)
	stop()
	if err == nil {
		return ws, nil
	}
	if resp == nil {
		return nil, err
	}
	resp.Body.Close()
	return nil, &HandshakeError{
		Status: resp.StatusCode,
		Wait:   parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Err:    err,
	}
}

// prepareDialer returns a copy of d whose connections are wrapped in a
// batchConn and closed when ctx ends during the handshake. Gorilla applies
// the context's deadline to the connection but does not watch for
// cancellation, so Close could not otherwise interrupt a server that never
// responds to the upgrade. stop ends the watch and must be called once the dial
// returns.
func prepareDialer(ctx context.Context, d *websocket.Dialer) (dialer *websocket.Dialer, stop func()) {
	var mu sync.Mutex
	var stops []func() bool
	wrap := func(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
		return func(dialCtx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(dialCtx, network, addr)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			stops = append(stops, context.AfterFunc(ctx, func() { conn.Close() }))
			mu.Unlock()
			return &batchConn{Conn: conn}, nil
		}
	}
	copied := *d
	base := copied.NetDialContext
	switch {
	case base != nil:
	case copied.NetDial != nil:
		netDial := copied.NetDial
		base = func(_ context.Context, network, addr string) (net.Conn, error) {
			return netDial(network, addr)
		}
	default:
		base = new(net.Dialer).DialContext
	}
	copied.NetDialContext = wrap(base)
	if copied.NetDialTLSContext != nil {
		copied.NetDialTLSContext = wrap(copied.NetDialTLSContext)
	}
	return &copied, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range stops {
			f()
		}
	}
}

// maxRetryAfterValue is the longest wait parseRetryAfter returns, far
// above any MaxRetryAfter, which caps it.
const maxRetryAfterValue = time.Duration(1 << 62)

// parseRetryAfter reads a Retry-After value in delta-seconds or as an HTTP
// date. It returns 0 for an absent, invalid or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) && secs > 0 {
		return maxRetryAfterValue // a value past int64 still requests a long wait
	}
	if err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfterValue/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// runOnConnect runs the OnConnect hook under OnConnectTimeout. When the
// hook's context ends, the connection is closed, which unblocks any read
// or write the hook is doing.
func (c *Client) runOnConnect(ws *websocket.Conn) error {
	if c.cfg.OnConnect == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.OnConnectTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	err := c.cfg.OnConnect(ctx, &Conn{ws: ws, ctx: ctx, writeTimeout: c.cfg.WriteTimeout})
	if !stop() && err == nil {
		err = context.Cause(ctx) // the connection was closed under the hook
	}
	if err != nil {
		return fmt.Errorf("wsreconnect: OnConnect: %w", err)
	}
	// Clear the hook's deadlines; the reader and writer set their own.
	ws.SetReadDeadline(time.Time{})
	return nil
}

// connected reports a new connection and opens the queue to it.
func (c *Client) connected(l *link, o *outage, down time.Time) {
	select {
	case <-c.force: // a request made while dialling is served by this dial
	default:
	}
	reconnect := c.connects.Add(1) > 1
	if reconnect {
		c.reconnects.Add(1)
	}
	ev := ConnectEvent{Generation: l.gen, Attempt: o.attempts, Reconnect: reconnect}
	if !down.IsZero() {
		ev.Downtime = time.Since(down)
	}
	o.authFailed, o.lastErr, o.status = false, nil, 0
	// Open the queue first, so that a hook below may Send and wait.
	c.queue.setConnected(true)
	c.setState(StateConnected)
	c.log(slog.LevelDebug, "websocket connected", "generation", l.gen, "attempt", o.attempts)
	if h := c.cfg.OnSuccess; h != nil {
		h(ev)
	}
}

// serve waits for the link to end, for Close or for ForceReconnect, then
// tears the link down and describes how it ended.
func (c *Client) serve(l *link) DisconnectEvent {
	select {
	case <-l.dead:
		l.awaitReader()
	case <-c.closing:
		c.closeGracefully(l)
	case <-c.force:
		select {
		case <-c.closing: // Close wins, so the server gets a close frame
			c.closeGracefully(l)
		default:
			l.fail(ReasonForced, 0, nil)
		}
	}
	c.queue.setConnected(false)
	l.teardown()
	l.settle()
	return DisconnectEvent{
		Generation: l.gen,
		Reason:     l.reason,
		CloseCode:  l.closeCode,
		Uptime:     time.Since(l.up),
		Err:        l.err,
	}
}

func (c *Client) disconnected(ev DisconnectEvent) {
	c.disconnects.Add(1)
	c.log(slog.LevelDebug, "websocket disconnected", "generation", ev.Generation,
		"reason", ev.Reason.String(), "close_code", ev.CloseCode, "err", ev.Err)
	if h := c.cfg.OnDisconnect; h != nil {
		h(ev)
	}
}

// afterAttempt decides what follows a failed attempt.
func (c *Client) afterAttempt(o *outage, err error) next {
	o.lastErr = err
	if o.start.IsZero() {
		o.start = time.Now()
	}
	var he *HandshakeError
	if !errors.As(err, &he) {
		o.authFailed = false
		return c.backoff(o, false, 0)
	}
	o.status = he.Status
	switch he.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		if o.authFailed {
			return next{stop: o.stopError(ErrHandshakeRejected)}
		}
		o.authFailed = true // allow one credential refresh, at once
		return next{}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		o.authFailed = false
		return c.backoff(o, true, he.Wait)
	case http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusGatewayTimeout:
		o.authFailed = false
		return c.backoff(o, false, 0)
	}
	return next{stop: o.stopError(ErrHandshakeRejected)}
}

// afterDisconnect decides what follows the end of a connection.
func (c *Client) afterDisconnect(o *outage, ev DisconnectEvent) next {
	if ev.Uptime >= c.cfg.StableAfter {
		o.seq, o.attempts = c.cfg.Backoff.Start(), 0
		o.start = time.Time{}
	}
	if o.start.IsZero() {
		o.start = time.Now()
	}
	o.lastErr, o.closeCode = ev.Err, ev.CloseCode
	if ev.Reason == ReasonForced {
		return next{}
	}
	if ev.Reason != ReasonServerClose {
		return c.backoff(o, false, 0)
	}
	switch ev.CloseCode {
	case websocket.CloseNormalClosure:
		if c.cfg.StopOnNormalClose {
			return next{stop: o.stopError(ErrTerminalClose)}
		}
	case websocket.CloseProtocolError, websocket.CloseUnsupportedData,
		websocket.CloseInvalidFramePayloadData, websocket.ClosePolicyViolation,
		websocket.CloseMessageTooBig, websocket.CloseMandatoryExtension,
		websocket.CloseTLSHandshake:
		return next{stop: o.stopError(ErrTerminalClose)}
	case websocket.CloseTryAgainLater:
		return c.backoff(o, true, 0)
	}
	return c.backoff(o, false, 0)
}

// backoff takes the next delay from the schedule, or gives up. A server
// that asked to try later gets its Retry-After hint, capped at
// MaxRetryAfter, or twice the scheduled delay without a hint.
func (c *Client) backoff(o *outage, tryLater bool, hint time.Duration) next {
	d, ok := o.seq.Next()
	if !ok {
		return next{stop: o.stopError(ErrGaveUp)}
	}
	if tryLater {
		if hint > 0 {
			d = max(d, min(hint, c.cfg.MaxRetryAfter))
		} else {
			d = min(2*d, max(d, c.cfg.MaxRetryAfter))
		}
	}
	if b := c.cfg.RetryBudget; b > 0 && time.Since(o.start)+d > b {
		return next{stop: o.stopError(ErrGaveUp)}
	}
	return next{delay: d}
}

func (o *outage) stopError(sentinel error) *Error {
	e := &Error{
		Sentinel:   sentinel,
		Attempts:   o.attempts,
		StatusCode: o.status,
		CloseCode:  o.closeCode,
		Err:        o.lastErr,
	}
	if !o.start.IsZero() {
		e.Elapsed = time.Since(o.start)
	}
	return e
}

// fail stops the client on its own and reports it once through OnFailure.
// A Close that raced with the decision wins, and OnFailure is not called.
func (c *Client) fail(e *Error) {
	if c.ctx.Err() != nil {
		c.finish()
		return
	}
	c.mu.Lock()
	c.err = e
	c.mu.Unlock()
	c.cancel()
	c.queue.stop(ErrClosed)
	c.log(slog.LevelWarn, "websocket client stopped", "err", e)
	c.setState(StateClosed)
	if h := c.cfg.OnFailure; h != nil {
		h(GiveUpEvent{Err: e})
	}
	close(c.done)
}

// finish stops the client after Close.
func (c *Client) finish() {
	c.queue.stop(ErrClosed)
	c.setState(StateClosed)
	close(c.done)
}

func (c *Client) log(level slog.Level, msg string, args ...any) {
	if l := c.cfg.Logger; l != nil {
		l.Log(context.Background(), level, msg, args...)
	}
}
