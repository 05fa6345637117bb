package testutil

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// checkLeaks fails t if goroutines started during the test outlive its
// cleanups. It must be called first, so its cleanup runs last.
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// echoServer is a TCP server that writes back what it reads.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); e.wg.Wait() })
	return e
}

func newTestProxy(t *testing.T) *Proxy {
	t.Helper()
	e := startEcho(t)
	p, err := NewProxy(e.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dialProxy(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads the same number of bytes back within wait.
func roundTrip(c net.Conn, msg []byte, wait time.Duration) ([]byte, error) {
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(wait))
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	return got, err
}

func TestProxyPass(t *testing.T) {
	checkLeaks(t)
	p := newTestProxy(t)
	c := dialProxy(t, p)
	got, err := roundTrip(c, []byte("hello"), 5*time.Second)
	if err != nil || string(got) != "hello" {
		t.Fatalf("round trip = %q, %v; want %q, nil", got, err, "hello")
	}
	if n := p.Accepted(); n != 1 {
		t.Errorf("Accepted() = %d, want 1", n)
	}
}

func TestProxyBlackholeThenPass(t *testing.T) {
	checkLeaks(t)
	p := newTestProxy(t)
	c := dialProxy(t, p)
	if _, err := roundTrip(c, []byte("a"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(ProxyBlackhole)
	_, err := roundTrip(c, []byte("lost"), 100*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read through blackhole: err = %v, want a deadline error", err)
	}
	p.SetMode(ProxyPass)
	got, err := roundTrip(c, []byte("back"), 5*time.Second)
	if err != nil || string(got) != "back" {
		t.Fatalf("round trip after blackhole = %q, %v; want %q, nil", got, err, "back")
	}
}

func TestProxyReset(t *testing.T) {
	checkLeaks(t)
	p := newTestProxy(t)
	c := dialProxy(t, p)
	if _, err := roundTrip(c, []byte("a"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(ProxyReset)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after reset: err = %v, want connection reset", err)
	}

	// A new connection is accepted and reset at once, which the dialler
	// sees either on connect or on its first read.
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		return
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on new connection in reset mode: err = %v, want an error", err)
	}
}

func TestProxyRefuseThenPass(t *testing.T) {
	checkLeaks(t)
	p := newTestProxy(t)
	open := dialProxy(t, p)
	// A dial returns once the kernel has queued the connection; the round
	// trip makes sure the proxy has accepted it before the listener closes.
	if _, err := roundTrip(open, []byte("before"), 5*time.Second); err != nil {
		t.Fatalf("round trip before refuse: %v", err)
	}
	if err := p.SetMode(ProxyRefuse); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Fatal("dial in refuse mode succeeded, want connection refused")
	}
	// Connections opened before keep working.
	if _, err := roundTrip(open, []byte("still"), 5*time.Second); err != nil {
		t.Fatalf("open connection in refuse mode: %v", err)
	}
	if err := p.SetMode(ProxyPass); err != nil {
		t.Fatal(err)
	}
	c := dialProxy(t, p)
	if _, err := roundTrip(c, []byte("again"), 5*time.Second); err != nil {
		t.Fatalf("round trip after refuse: %v", err)
	}
}

func TestProxyLatency(t *testing.T) {
	checkLeaks(t)
	p := newTestProxy(t)
	const delay = 50 * time.Millisecond
	p.SetLatency(delay)
	p.SetMode(ProxyLatency)
	c := dialProxy(t, p)
	start := time.Now()
	got, err := roundTrip(c, []byte("slow"), 5*time.Second)
	if err != nil || !bytes.Equal(got, []byte("slow")) {
		t.Fatalf("round trip = %q, %v", got, err)
	}
	// One delay each way.
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip took %v, want at least %v", rtt, 2*delay)
	}
}

func TestProxyCloseStopsEverything(t *testing.T) {
	checkLeaks(t)
	e := startEcho(t)
	p, err := NewProxy(e.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := dialProxy(t, p)
	if _, err := roundTrip(c, []byte("x"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(ProxyBlackhole)
	p.Close()
	p.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read after Close succeeded")
	}
}
