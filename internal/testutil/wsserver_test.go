package testutil

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

func newTestWSServer(t *testing.T, cfg WSServerConfig) *WSServer {
	t.Helper()
	s, err := NewWSServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func dialWS(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestWSServerEchoAndStats(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{Echo: true})
	c := dialWS(t, s.URL())
	if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, got, err := c.ReadMessage()
	if err != nil || string(got) != "hi" {
		t.Fatalf("echo = %q, %v; want %q, nil", got, err, "hi")
	}
	want := WSServerStats{Handshakes: 1, Upgrades: 1, Open: 1, Messages: 1, Bytes: 2}
	if st := s.Stats(); st != want {
		t.Errorf("Stats() = %+v, want %+v", st, want)
	}
	if m := s.Messages(); len(m) != 1 || string(m[0]) != "hi" {
		t.Errorf("Messages() = %q, want [hi]", m)
	}
}

func TestWSServerRestartSamePort(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{})
	url := s.URL()
	c := dialWS(t, url)
	s.Stop()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
		t.Fatalf("read after Stop: err = %v, want close 1006", err)
	}
	if _, _, err := websocket.DefaultDialer.Dial(url, nil); err == nil {
		t.Fatal("dial while stopped succeeded")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Errorf("URL() after Start = %s, want %s", s.URL(), url)
	}
	dialWS(t, url)
	if err := s.WaitFor(waitCtx(t), func(st WSServerStats) bool { return st.Open == 1 }); err != nil {
		t.Fatal(err)
	}
}

func TestWSServerCloseCodes(t *testing.T) {
	for _, code := range []int{1001, 1008, 1012, 1013, 4000} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			checkLeaks(t)
			s := newTestWSServer(t, WSServerConfig{})
			c := dialWS(t, s.URL())
			s.WaitFor(waitCtx(t), func(st WSServerStats) bool { return st.Open == 1 })
			s.CloseConns(code, "bye")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, err := c.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != code || ce.Text != "bye" {
				t.Fatalf("read after CloseConns(%d): err = %v", code, err)
			}
		})
	}
}

func TestWSServerReset(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{})
	c := dialWS(t, s.URL())
	s.WaitFor(waitCtx(t), func(st WSServerStats) bool { return st.Open == 1 })
	s.ResetConns()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if err == nil || errors.As(err, &ce) || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after reset: err = %v, want connection reset", err)
	}
}

func TestWSServerRejectUpgrades(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{})
	s.RejectUpgrades(http.StatusServiceUnavailable, 1500*time.Millisecond)
	_, resp, err := websocket.DefaultDialer.Dial(s.URL(), nil)
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
		t.Fatalf("dial: err = %v, want bad handshake", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("response = %d Retry-After %q, want 503 Retry-After 2",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.RejectUpgrades(0, 0)
	dialWS(t, s.URL())
}

func TestWSServerAuthorize(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{Authorize: func(r *http.Request) int {
		if r.Header.Get("Authorization") != "Bearer good" {
			return http.StatusUnauthorized
		}
		return 0
	}})
	_, resp, err := websocket.DefaultDialer.Dial(s.URL(), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial without token: err = %v, want 401", err)
	}
	resp.Body.Close()
	c, _, err := websocket.DefaultDialer.Dial(s.URL(), http.Header{"Authorization": {"Bearer good"}})
	if err != nil {
		t.Fatalf("dial with token: %v", err)
	}
	c.Close()
}

func TestWSServerHangUpgrades(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{})
	s.HangUpgrades(true)
	d := websocket.Dialer{HandshakeTimeout: 100 * time.Millisecond}
	_, _, err := d.Dial(s.URL(), nil)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("dial against hanging server: err = %v, want a timeout", err)
	}
	if st := s.Stats(); st.Handshakes != 1 || st.Upgrades != 0 {
		t.Errorf("Stats() = %+v, want 1 handshake and 0 upgrades", st)
	}
}

func TestWSServerNoPongs(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{Echo: true})
	c := dialWS(t, s.URL())
	pongs := 0
	c.SetPongHandler(func(string) error { pongs++; return nil })
	deadline := time.Now().Add(5 * time.Second)

	// The server handles frames in order, so its echo of the data message
	// arrives after the pong for the ping sent before it, if any.
	exchange := func() {
		t.Helper()
		c.WriteControl(websocket.PingMessage, nil, deadline)
		c.WriteMessage(websocket.TextMessage, []byte("x"))
		c.SetReadDeadline(deadline)
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	exchange()
	if pongs != 1 {
		t.Fatalf("pongs with AnswerPings on = %d, want 1", pongs)
	}
	s.AnswerPings(false)
	exchange()
	if pongs != 1 {
		t.Fatalf("pongs with AnswerPings off = %d, want still 1", pongs)
	}
}

func TestWSServerStopReading(t *testing.T) {
	checkLeaks(t)
	s := newTestWSServer(t, WSServerConfig{Discard: true})
	c := dialWS(t, s.URL())
	s.WaitFor(waitCtx(t), func(st WSServerStats) bool { return st.Open == 1 })
	s.SetReading(false)
	payload := make([]byte, 64<<10)
	c.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
	var err error
	sent := 0
	for err == nil && sent < 10000 {
		err = c.WriteMessage(websocket.BinaryMessage, payload)
		sent++
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("writes to a server that stopped reading: err = %v after %d, want a timeout", err, sent)
	}
	if got := s.Stats().Messages; got > 1 {
		t.Errorf("server read %d messages after SetReading(false), want at most 1", got)
	}
}

func TestWSServerOverPipes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network PipeNetwork
		s, err := NewWSServer(WSServerConfig{Echo: true, Listen: network.Listen})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		d := websocket.Dialer{NetDialContext: network.DialContext}
		c, _, err := d.Dial(s.URL(), nil)
		if err != nil {
			t.Fatalf("dial over pipes: %v", err)
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte("ping"))
		if _, got, err := c.ReadMessage(); err != nil || string(got) != "ping" {
			t.Fatalf("echo = %q, %v", got, err)
		}

		// A read deadline passes in fake time while the peer is silent.
		start := time.Now()
		c.SetReadDeadline(start.Add(time.Hour))
		if _, _, err := c.ReadMessage(); err == nil || time.Since(start) != time.Hour {
			t.Errorf("read = %v after %v, want a timeout after 1h", err, time.Since(start))
		}

		s.Stop()
		if _, _, err := d.Dial(s.URL(), nil); err == nil {
			t.Error("dial while stopped succeeded, want refused")
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		c2, _, err := d.Dial(s.URL(), nil)
		if err != nil {
			t.Fatalf("dial after Start: %v", err)
		}
		c2.Close()
	})
}
