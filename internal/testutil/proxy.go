package testutil

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ProxyMode is the fault a [Proxy] injects. The mode can be changed at any
// time with [Proxy.SetMode]; the new mode applies to the next chunk of bytes
// each connection reads and to the next connection accepted.
type ProxyMode int

const (
	// ProxyPass forwards bytes in both directions unchanged.
	ProxyPass ProxyMode = iota
	// ProxyBlackhole keeps every connection open but discards the bytes it
	// reads in both directions, like a network path that silently drops
	// packets. New connections are accepted and dialled upstream, and their
	// bytes are discarded too. Bytes discarded are lost for good: switching
	// back to ProxyPass resumes forwarding with the next chunk read.
	ProxyBlackhole
	// ProxyReset aborts every open connection with a TCP reset (RST) on
	// both sides as the mode is set, and resets each new connection as soon
	// as it is accepted.
	ProxyReset
	// ProxyLatency forwards bytes after the delay set with
	// [Proxy.SetLatency], preserving their order. The delay applies to
	// each chunk read, so it adds to the round-trip time once per direction.
	ProxyLatency
	// ProxyRefuse closes the listening socket, so new dials fail with
	// "connection refused". Connections the proxy has accepted keep
	// forwarding as in ProxyPass; one still queued in the listen backlog is
	// reset. Setting another mode listens again on the same address.
	ProxyRefuse
)

// String returns the mode's lower-case name.
func (m ProxyMode) String() string {
	switch m {
	case ProxyPass:
		return "pass"
	case ProxyBlackhole:
		return "blackhole"
	case ProxyReset:
		return "reset"
	case ProxyLatency:
		return "latency"
	case ProxyRefuse:
		return "refuse"
	}
	return fmt.Sprintf("ProxyMode(%d)", int(m))
}

// Proxy is a fault-injecting TCP proxy on a loopback address. It accepts
// connections on [Proxy.Addr], dials the target for each, and copies bytes
// both ways according to its [ProxyMode]. Tests point a client at the
// proxy and switch modes to simulate network interruptions (ProxyBlackhole,
// ProxyReset, ProxyRefuse) or a slow path (ProxyLatency) without touching
// the server.
//
// [Proxy.Close] stops every goroutine the proxy started and closes every
// connection. A Proxy is safe for concurrent use.
type Proxy struct {
	target string
	addr   string

	wg sync.WaitGroup // accept loop and connection pumps

	// mu guards the fields below.
	mu       sync.Mutex
	mode     ProxyMode
	latency  time.Duration
	listener net.Listener // nil while refusing or after Close
	conns    map[*proxyConn]struct{}
	accepted int
	closed   bool
	done     chan struct{} // closed by Close
}

// proxyConn is one proxied connection: the accepted client side and the
// dialled upstream side.
type proxyConn struct {
	client, upstream *net.TCPConn
	once             sync.Once
	pumps            atomic.Int32 // pumps still running
}

// NewProxy starts a proxy listening on 127.0.0.1 at a free port that
// forwards to target, a "host:port" address. The caller must call Close.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testutil: proxy listen: %w", err)
	}
	p := &Proxy{
		target:   target,
		addr:     ln.Addr().String(),
		listener: ln,
		conns:    make(map[*proxyConn]struct{}),
		done:     make(chan struct{}),
	}
	p.wg.Add(1)
	go p.acceptLoop(ln)
	return p, nil
}

// Addr returns the "host:port" address clients should dial. It stays the
// same for the proxy's life, across ProxyRefuse.
func (p *Proxy) Addr() string { return p.addr }

// Mode returns the current mode.
func (p *Proxy) Mode() ProxyMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Accepted returns the number of connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// SetLatency sets the delay ProxyLatency adds to each chunk of bytes.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// SetMode switches the proxy to mode m. Switching to ProxyReset resets every
// open connection before SetMode returns. Switching to ProxyRefuse closes the
// listener before it returns. Switching away from ProxyRefuse listens again
// on the same address and returns an error if that fails. SetMode after
// Close does nothing.
func (p *Proxy) SetMode(m ProxyMode) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.mode = m
	var toReset []*proxyConn
	if m == ProxyReset {
		for c := range p.conns {
			toReset = append(toReset, c)
		}
	}
	var err error
	switch {
	case m == ProxyRefuse && p.listener != nil:
		err = p.listener.Close()
		p.listener = nil
	case m != ProxyRefuse && p.listener == nil:
		err = p.relistenLocked()
	}
	p.mu.Unlock()

	for _, c := range toReset {
		c.reset()
	}
	return err
}

// relistenLocked listens again on the proxy's address. p.mu must be held.
func (p *Proxy) relistenLocked() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("testutil: proxy listen again on %s: %w", p.addr, err)
	}
	p.listener = ln
	p.wg.Add(1)
	go p.acceptLoop(ln)
	return nil
}

// Close stops accepting, closes every connection and waits for all of the
// proxy's goroutines to return. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	conns := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()

	for _, c := range conns {
		c.close()
	}
	p.wg.Wait()
	return nil
}

func (p *Proxy) acceptLoop(ln net.Listener) {
	defer p.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return // the listener was closed by SetMode or Close
		}
		p.handle(conn.(*net.TCPConn))
	}
}

// handle dials upstream for an accepted connection and starts its pumps.
func (p *Proxy) handle(client *net.TCPConn) {
	p.mu.Lock()
	p.accepted++
	mode, closed := p.mode, p.closed
	p.mu.Unlock()
	if closed {
		client.Close()
		return
	}
	if mode == ProxyReset {
		client.SetLinger(0)
		client.Close()
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.SetLinger(0)
		client.Close()
		return
	}
	c := &proxyConn{client: client, upstream: up.(*net.TCPConn)}
	c.pumps.Store(2)

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.close()
		return
	}
	p.conns[c] = struct{}{}
	p.wg.Add(2)
	p.mu.Unlock()

	go p.pump(c, c.upstream, c.client)
	go p.pump(c, c.client, c.upstream)
}

// pump copies from src to dst chunk by chunk, applying the mode current at
// each chunk. A clean end of src half-closes dst, so the other direction can
// finish; any other failure closes both sides. The last pump to return
// forgets c.
func (p *Proxy) pump(c *proxyConn, dst, src *net.TCPConn) {
	defer p.wg.Done()
	err := p.copy(dst, src)
	if errors.Is(err, io.EOF) {
		if p.Mode() != ProxyBlackhole {
			dst.CloseWrite()
		}
	} else {
		c.close()
	}
	if c.pumps.Add(-1) == 0 {
		p.forget(c)
	}
}

// errDropped ends a pump whose connection the mode aborted.
var errDropped = errors.New("testutil: proxy dropped the connection")

func (p *Proxy) copy(dst, src *net.TCPConn) error {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.forward(dst, buf[:n]) {
			return errDropped
		}
		if err != nil {
			return err
		}
	}
}

// forward writes chunk to dst as the current mode requires, and reports whether
// the connection is still usable.
func (p *Proxy) forward(dst *net.TCPConn, chunk []byte) bool {
	p.mu.Lock()
	mode, latency := p.mode, p.latency
	p.mu.Unlock()
	switch mode {
	case ProxyBlackhole:
		return true
	case ProxyReset:
		return false
	case ProxyLatency:
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
			return false
		}
	}
	_, err := dst.Write(chunk)
	return err == nil
}

func (p *Proxy) forget(c *proxyConn) {
	c.close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// reset aborts both sides with a TCP reset.
func (c *proxyConn) reset() {
	c.once.Do(func() {
		c.client.SetLinger(0)
		c.upstream.SetLinger(0)
		c.client.Close()
		c.upstream.Close()
	})
}

func (c *proxyConn) close() {
	c.once.Do(func() {
		c.client.Close()
		c.upstream.Close()
	})
}
