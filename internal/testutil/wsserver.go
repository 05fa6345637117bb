package testutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// WSServerConfig is the behaviour of a [WSServer] fixed at construction.
// The zero value accepts every upgrade and stores every data message.
type WSServerConfig struct {
	// Authorize decides on each upgrade request that is not rejected or
	// held by the server's current fault settings. It returns 0 to accept
	// or an HTTP status to reject the request with. Nil accepts every
	// request.
	Authorize func(r *http.Request) int

	// Echo, when true, writes every data message back to its sender.
	Echo bool

	// Discard, when true, counts data messages without storing them, for
	// tests and benchmarks that send many.
	Discard bool

	// Listen opens the server's listener on each Start, given the
	// address of the previous listener or "127.0.0.1:0" at first. Nil
	// means net.Listen("tcp", address). [PipeNetwork.Listen] serves over
	// in-memory pipes instead, which testing/synctest bubbles need.
	Listen func(address string) (net.Listener, error)
}

// WSServerStats is a snapshot of a [WSServer]'s counters.
type WSServerStats struct {
	Handshakes int   // upgrade requests received, whatever their outcome
	Upgrades   int   // requests upgraded to a WebSocket
	Open       int   // WebSocket connections open now
	Messages   int   // data messages received
	Bytes      int64 // payload bytes of the data messages received
}

// WSServer is a gorilla/websocket server on a loopback port whose faults
// tests control at run time. It can stop and start again on the same port
// (a server restart), close its connections with any close code, drop them
// without a close frame, reset them, reject upgrades with a status and a
// Retry-After header, accept TCP without ever responding to the upgrade, stop
// answering pings and stop reading.
//
// A client may see its upgrade succeed a moment before the server has
// registered the connection, so a test that injects a fault into open
// connections should first wait with [WSServer.WaitFor] until Open counts
// them. [WSServerConfig.Listen] moves the server onto in-memory pipes for
// tests in testing/synctest bubbles.
//
// Every method is safe for concurrent use. [WSServer.Close] stops every
// goroutine the server started.
type WSServer struct {
	cfg      WSServerConfig
	addr     string
	upgrader websocket.Upgrader

	// mu guards the fields below.
	mu         sync.Mutex
	srv        *http.Server // nil while stopped
	serveDone  chan struct{}
	conns      map[*wsServerConn]struct{}
	stats      WSServerStats
	messages   [][]byte
	changed    chan struct{} // closed and replaced on every counter change
	rejectCode int
	retryAfter time.Duration
	hang       bool
	hangDone   chan struct{} // closed to release held upgrade requests
	noPongs    bool
	readGate   chan struct{} // non-nil while reading is paused; closed to resume
	closed     bool

	wg sync.WaitGroup // handlers and connection readers
}

// wsServerConn is one upgraded connection.
type wsServerConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // serialises data writes (echo and Broadcast)
	done chan struct{}
	once sync.Once
}

// NewWSServer starts a server on 127.0.0.1 at a free port. The caller must
// call Close.
func NewWSServer(cfg WSServerConfig) (*WSServer, error) {
	s := &WSServer{
		cfg:      cfg,
		addr:     "127.0.0.1:0",
		conns:    make(map[*wsServerConn]struct{}),
		changed:  make(chan struct{}),
		hangDone: make(chan struct{}),
	}
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// URL returns the server's WebSocket URL, "ws://127.0.0.1:port/". It stays
// the same across Stop and Start.
func (s *WSServer) URL() string { return "ws://" + s.Addr() + "/" }

// Addr returns the server's "host:port" address.
func (s *WSServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Start listens again on the server's address after Stop. It returns an
// error if the server is running, closed, or the port cannot be bound.
func (s *WSServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("testutil: WSServer is closed")
	}
	if s.srv != nil {
		return errors.New("testutil: WSServer is already running")
	}
	listen := s.cfg.Listen
	if listen == nil {
		listen = func(address string) (net.Listener, error) { return net.Listen("tcp", address) }
	}
	ln, err := listen(s.addr)
	if err != nil {
		return fmt.Errorf("testutil: WSServer listen on %s: %w", s.addr, err)
	}
	s.addr = ln.Addr().String()
	ln = gatedListener{Listener: ln, server: s}
	s.srv = &http.Server{
		Handler:  http.HandlerFunc(s.serveHTTP),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.serveDone = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		srv.Serve(ln)
	}(s.srv, s.serveDone)
	return nil
}

// Stop closes the listener and every connection without a close frame, as
// a crashed server would, and waits for the server's goroutines to return.
// Clients dialling the address then get "connection refused" until Start.
// Stop on a stopped server does nothing.
func (s *WSServer) Stop() {
	s.mu.Lock()
	srv, done := s.srv, s.serveDone
	s.srv = nil
	close(s.hangDone)
	s.hangDone = make(chan struct{})
	s.mu.Unlock()

	if srv != nil {
		srv.Close() // closes the listener and connections not yet upgraded
		<-done
	}
	s.DropConns()
	s.wg.Wait()
}

// Close stops the server for good. It is idempotent.
func (s *WSServer) Close() {
	s.mu.Lock()
	s.closed = true
	if s.readGate != nil {
		close(s.readGate)
		s.readGate = nil
	}
	s.mu.Unlock()
	s.Stop()
}

// CloseConns sends a close frame with code and text on every open
// connection, then closes its TCP connection without waiting for the
// peer's reply.
func (s *WSServer) CloseConns(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	for _, c := range s.openConns() {
		c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.close()
	}
}

// DropConns closes every open connection's TCP connection without a close
// frame, so clients see an abnormal closure (1006).
func (s *WSServer) DropConns() {
	for _, c := range s.openConns() {
		c.close()
	}
}

// ResetConns aborts every open connection with a TCP reset (RST).
func (s *WSServer) ResetConns() {
	for _, c := range s.openConns() {
		if gc, ok := c.ws.NetConn().(*gatedConn); ok {
			if tc, ok := gc.Conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
		}
		c.close()
	}
}

// RejectUpgrades makes the server respond to every later upgrade request
// with HTTP status code. A positive retryAfter adds a Retry-After header in
// whole seconds, rounded up. A code of 0 accepts upgrades again.
func (s *WSServer) RejectUpgrades(code int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectCode, s.retryAfter = code, retryAfter
}

// HangUpgrades, when on, makes the server accept TCP connections and read
// upgrade requests but never respond to them, until the client gives up, the
// server stops, or HangUpgrades(false) releases them with a 503.
func (s *WSServer) HangUpgrades(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = on
	if !on {
		close(s.hangDone)
		s.hangDone = make(chan struct{})
	}
}

// AnswerPings sets whether the server replies to pings with pongs. It
// starts on; off simulates a peer whose WebSocket layer is stuck while its
// TCP connection stays up.
func (s *WSServer) AnswerPings(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noPongs = !on
}

// SetReading sets whether the server reads from its connections. It starts
// on. Off stops reading bytes from the sockets once the read in progress
// returns, so the server neither receives data nor answers pings, and
// clients' writes block once the TCP buffers fill up.
func (s *WSServer) SetReading(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !on && s.readGate == nil && !s.closed:
		s.readGate = make(chan struct{})
	case on && s.readGate != nil:
		close(s.readGate)
		s.readGate = nil
	}
}

// Broadcast writes a data message to every open connection and returns the
// first write error.
func (s *WSServer) Broadcast(messageType int, data []byte) error {
	var first error
	for _, c := range s.openConns() {
		if err := c.write(messageType, data); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Stats returns a snapshot of the server's counters.
func (s *WSServer) Stats() WSServerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Messages returns a copy of the data messages received so far, in the
// order the server read them. It is empty when the config sets Discard.
func (s *WSServer) Messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.messages...)
}

// WaitFor blocks until cond returns true for the server's counters or ctx
// is done, in which case it returns ctx's error. cond is evaluated on every
// counter change, never by polling, and must not call the server.
func (s *WSServer) WaitFor(ctx context.Context, cond func(WSServerStats) bool) error {
	for {
		s.mu.Lock()
		ok, changed := cond(s.stats), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("testutil: WSServer wait: %w", ctx.Err())
		}
	}
}

// updateLocked applies f to the counters and wakes WaitFor. s.mu must be
// held.
func (s *WSServer) updateLocked(f func(*WSServerStats)) {
	f(&s.stats)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *WSServer) openConns() []*wsServerConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]*wsServerConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns
}

func (s *WSServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.srv == nil {
		s.mu.Unlock()
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	s.updateLocked(func(st *WSServerStats) { st.Handshakes++ })
	code, retryAfter, hang, hangDone := s.rejectCode, s.retryAfter, s.hang, s.hangDone
	s.mu.Unlock()

	if hang {
		select {
		case <-r.Context().Done():
		case <-hangDone:
			http.Error(w, "released", http.StatusServiceUnavailable)
		}
		return
	}
	if code == 0 && s.cfg.Authorize != nil {
		code = s.cfg.Authorize(r)
	}
	if code != 0 {
		if retryAfter > 0 {
			secs := (retryAfter + time.Second - 1) / time.Second
			w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
		}
		http.Error(w, http.StatusText(code), code)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has already answered with an error status
	}
	s.serveConn(ws)
}

// serveConn registers ws and reads from it until it fails.
func (s *WSServer) serveConn(ws *websocket.Conn) {
	c := &wsServerConn{ws: ws, done: make(chan struct{})}
	s.mu.Lock()
	if s.srv == nil { // Stop raced with the upgrade
		s.mu.Unlock()
		ws.NetConn().Close()
		return
	}
	s.conns[c] = struct{}{}
	s.updateLocked(func(st *WSServerStats) { st.Upgrades++; st.Open++ })
	s.mu.Unlock()

	ws.SetPingHandler(func(data string) error {
		s.mu.Lock()
		skip := s.noPongs
		s.mu.Unlock()
		if skip {
			return nil
		}
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	s.readLoop(c)

	c.close()
	s.mu.Lock()
	delete(s.conns, c)
	s.updateLocked(func(st *WSServerStats) { st.Open-- })
	s.mu.Unlock()
}

func (s *WSServer) readLoop(c *wsServerConn) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		s.mu.Lock()
		if !s.cfg.Discard {
			s.messages = append(s.messages, data)
		}
		s.updateLocked(func(st *WSServerStats) {
			st.Messages++
			st.Bytes += int64(len(data))
		})
		s.mu.Unlock()
		if s.cfg.Echo {
			c.write(typ, data)
		}
	}
}

// gatedListener wraps every accepted connection in a gatedConn.
type gatedListener struct {
	net.Listener
	server *WSServer
}

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, server: l.server, closed: make(chan struct{})}, nil
}

// gatedConn blocks reads while the server's reading is paused, below
// gorilla, so that no frame at all is read: not even a ping.
type gatedConn struct {
	net.Conn
	server *WSServer
	once   sync.Once
	closed chan struct{}
}

func (c *gatedConn) Read(p []byte) (int, error) {
	c.server.mu.Lock()
	gate := c.server.readGate
	c.server.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	return c.Conn.Read(p)
}

func (c *gatedConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

func (c *wsServerConn) write(messageType int, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(messageType, data)
}

func (c *wsServerConn) close() {
	c.once.Do(func() {
		close(c.done)
		c.ws.NetConn().Close()
	})
}

// PipeNetwork connects dialers to one listener at a time over net.Pipe
// pairs, without sockets. Inside a testing/synctest bubble a goroutine
// blocked on a real socket does not count as durably blocked, so fake time
// would not advance. A goroutine blocked on a pipe does count. Pass Listen as
// [WSServerConfig.Listen] and DialContext as a gorilla Dialer's
// NetDialContext. A PipeNetwork is safe for concurrent use.
type PipeNetwork struct {
	mu sync.Mutex
	ln *pipeListener // the listener open now, or nil
}

// pipeAddress is the address every pipe listener reports. The host is
// reserved, so it can never be dialled over a real network by mistake.
const pipeAddress = "pipe.invalid:80"

// Listen opens the network's listener, ignoring address. It fails if a
// listener is open already.
func (n *PipeNetwork) Listen(address string) (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ln != nil {
		return nil, errors.New("testutil: pipe network already has a listener")
	}
	n.ln = &pipeListener{net: n, conns: make(chan net.Conn), done: make(chan struct{})}
	return n.ln, nil
}

// DialContext connects to the open listener, ignoring network and
// address. With no listener open it fails at once, as a refused TCP
// connection does.
func (n *PipeNetwork) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	n.mu.Lock()
	ln := n.ln
	n.mu.Unlock()
	if ln == nil {
		return nil, errPipeRefused
	}
	client, server := net.Pipe()
	select {
	case ln.conns <- server:
		return client, nil
	case <-ln.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, errPipeRefused
}

var errPipeRefused = &net.OpError{Op: "dial", Net: "pipe", Err: errors.New("connection refused")}

type pipeListener struct {
	net   *PipeNetwork
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.net.mu.Lock()
		if l.net.ln == l {
			l.net.ln = nil
		}
		l.net.mu.Unlock()
	})
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return pipeAddress }
