package wsreconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/internal/testutil"
	"github.com/gorilla/websocket"
)

// The tests in this file run against real servers on loopback.

// waitBothSides waits until the client is connected and the server has
// registered the connection, so that server-side faults reach it.
func waitBothSides(t *testing.T, c *Client, srv *testutil.WSServer) {
	t.Helper()
	ctx := ctxTimeout(t, 5*time.Second)
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Open == 1 }); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{}, "URL"},
		{Config{URL: "http://example.test/"}, "URL"},
		{Config{URL: "ws:///path"}, "URL"},
		{Config{URL: "ws://h/", HandshakeTimeout: -1}, "HandshakeTimeout"},
		{Config{URL: "ws://h/", RetryBudget: -1}, "RetryBudget"},
		{Config{URL: "ws://h/", ReadTimeout: time.Second, PingInterval: time.Second}, "PingInterval"},
		{Config{URL: "ws://h/", WriteTimeout: -1}, "WriteTimeout"},
		{Config{URL: "ws://h/", QueueMessages: -1}, "QueueMessages"},
		{Config{URL: "ws://h/", QueueBytes: -1}, "QueueBytes"},
		{Config{URL: "ws://h/", QueueTTL: -1}, "QueueTTL"},
		{Config{URL: "ws://h/", ReadLimit: -1}, "ReadLimit"},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		if err == nil {
			c.Close(context.Background())
			t.Errorf("New(%+v) succeeded, want an error naming %s", tt.cfg, tt.field)
			continue
		}
		if !strings.Contains(err.Error(), tt.field) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.field)
		}
	}
}

func TestNewURLErrorHidesCredentials(t *testing.T) {
	_, err := New(Config{URL: "ws://user:secret@/path?token=secret"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("New = %v, want an error without the credentials", err)
	}
}

func TestSendAndReceive(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{Echo: true})
	got := make(chan string, 2)
	c := newClient(t, Config{
		URL:       srv.URL(),
		OnMessage: func(_ int, data []byte) { got <- string(data) },
	})
	if err := c.WaitConnected(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), websocket.TextMessage, []byte("one")); err != nil {
		t.Fatalf("Send = %v", err)
	}
	r := c.SendAsync(websocket.BinaryMessage, []byte("two"))
	<-r.Done()
	if r.Outcome() != OutcomeSent || r.Err() != nil {
		t.Fatalf("SendAsync receipt = %v, %v; want sent", r.Outcome(), r.Err())
	}
	for _, want := range []string{"one", "two"} {
		if s := <-got; s != want {
			t.Errorf("received %q, want %q", s, want)
		}
	}
	st := c.Stats()
	if st.MessagesSent != 2 || st.BytesSent != 6 || st.MessagesReceived != 2 || st.Connects != 1 {
		t.Errorf("Stats = %+v, want 2 sent (6 bytes), 2 received, 1 connect", st)
	}
}

func TestSendRejectsInvalidType(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	c := newClient(t, Config{URL: srv.URL()})
	err := c.Send(context.Background(), websocket.PingMessage, nil)
	if !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("Send(ping) = %v, want ErrInvalidMessage", err)
	}
	if r := c.SendAsync(42, nil); r.Outcome() != OutcomeRejected {
		t.Errorf("SendAsync(42) outcome = %v, want rejected", r.Outcome())
	}
}

func TestBlackholeDetectedInTime(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	proxy, err := testutil.NewProxy(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	const readTimeout, pingInterval = 400 * time.Millisecond, 100 * time.Millisecond
	rec := newRecorder()
	cfg := Config{URL: "ws://" + proxy.Addr() + "/", ReadTimeout: readTimeout,
		PingInterval: pingInterval, Backoff: fixed(t, time.Hour, 1)}
	rec.hook(&cfg)
	dialed := time.Now()
	c := newClient(t, cfg)
	if err := c.WaitConnected(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	proxy.SetMode(testutil.ProxyBlackhole)
	start := time.Now()
	rec.waitFor(t, "a disconnect", func(r *recorder) bool { return len(r.disconnects) > 0 })
	took, sinceDial := time.Since(start), time.Since(dialed)

	if d := rec.snapshot().disconnects[0]; d.Reason != ReasonHeartbeat {
		t.Errorf("disconnect reason = %v, want heartbeat", d.Reason)
	}
	// The exact bounds are tested in fake time. Here the scheduler may
	// run the pinger and the reader late under -race on a loaded machine,
	// so the upper bound is generous, and the lower one counts from the
	// dial: when the last pong came before the blackhole depends on
	// scheduling, but every frame came after the dial, and each renews
	// the read deadline by the full ReadTimeout.
	if limit := readTimeout + pingInterval + 2*time.Second; took > limit {
		t.Errorf("blackhole detected after %v, want within %v", took, limit)
	}
	if sinceDial < readTimeout {
		t.Errorf("blackhole detected %v after the dial, sooner than the %v read deadline",
			sinceDial, readTimeout)
	}
}

func TestCloseDuringBackoff(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.Stop()
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 5)}
	rec.hook(&cfg)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "the backoff wait", func(r *recorder) bool {
		return len(r.states) > 0 && r.states[len(r.states)-1].To == StateWaiting
	})
	start := time.Now()
	if err := c.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v during an hour-long backoff", took)
	}
	srv.Start()
	if d := c.Stats().Dials; d != 1 {
		t.Errorf("Dials = %d, want 1", d)
	}
	if st := srv.Stats(); st.Handshakes != 0 {
		t.Errorf("server saw %d handshakes after Close, want 0", st.Handshakes)
	}
	if got := len(rec.snapshot().failures); got != 0 {
		t.Errorf("OnFailure called %d times after Close, want 0", got)
	}
}

func TestCloseDuringDial(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.HangUpgrades(true)
	c, err := New(Config{URL: srv.URL(), HandshakeTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 5*time.Second)
	if err := srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Handshakes == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	srv.HangUpgrades(false)
	if st := srv.Stats(); st.Handshakes != 1 || st.Upgrades != 0 {
		t.Errorf("server stats after Close = %+v, want 1 handshake, 0 upgrades", st)
	}
	if d := c.Stats().Dials; d != 1 {
		t.Errorf("Dials = %d, want 1", d)
	}
}

func TestCloseDuringOnConnect(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	entered := make(chan struct{})
	var hookErr error
	c, err := New(Config{
		URL: srv.URL(),
		OnConnect: func(ctx context.Context, _ *Conn) error {
			close(entered)
			<-ctx.Done()
			hookErr = ctx.Err()
			return hookErr
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	if err := c.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if !errors.Is(hookErr, context.Canceled) {
		t.Errorf("OnConnect context ended with %v, want Canceled", hookErr)
	}
	if st := srv.Stats(); st.Handshakes != 1 {
		t.Errorf("server saw %d handshakes, want 1", st.Handshakes)
	}
	if st := c.Stats(); st.Dials != 1 || st.Connects != 0 {
		t.Errorf("Stats = %+v, want 1 dial, 0 connects", st)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	rec := newRecorder()
	cfg := Config{URL: srv.URL()}
	rec.hook(&cfg)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 5*time.Second)
	c.WaitConnected(ctx)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Close(ctx); err != nil {
				t.Errorf("Close = %v", err)
			}
		}()
	}
	wg.Wait()
	if err := c.Send(ctx, websocket.TextMessage, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	snap := rec.snapshot()
	if len(snap.disconnects) != 1 || snap.disconnects[0].Reason != ReasonLocalClose {
		t.Errorf("disconnects = %+v, want one local close", snap.disconnects)
	}
	if last := snap.states[len(snap.states)-1]; last.To != StateClosed {
		t.Errorf("last state event = %+v, want closed", last)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err() after Close = %v, want nil", err)
	}
}

func TestSimultaneousReadWriteErrorsReconnectOnce(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{Discard: true})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, 10*time.Millisecond, 5)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	ctx := ctxTimeout(t, 5*time.Second)
	c.WaitConnected(ctx)

	// Keep the writer busy so that the reset fails a write and a read.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		payload := make([]byte, 16<<10)
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.SendAsync(websocket.BinaryMessage, payload)
		}
	}()
	srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Messages > 10 })
	srv.ResetConns()
	rec.waitFor(t, "the reconnect", func(r *recorder) bool { return len(r.connects) == 2 })
	close(stop)
	wg.Wait()
	// Let a second, spurious reconnect show up if there were one.
	c.Close(ctx)

	snap := rec.snapshot()
	if len(snap.disconnects) != 2 || snap.disconnects[0].Generation != 1 {
		t.Errorf("disconnects = %+v, want the reset and the local close", snap.disconnects)
	}
	if st := srv.Stats(); st.Upgrades != 2 {
		t.Errorf("server upgrades = %d, want 2", st.Upgrades)
	}
	if st := c.Stats(); st.Connects != 2 || st.Dials != 2 {
		t.Errorf("Stats = %+v, want 2 dials and 2 connects", st)
	}
}

func TestConcurrentSenders(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	c := newClient(t, Config{URL: srv.URL()})
	ctx := ctxTimeout(t, 10*time.Second)
	c.WaitConnected(ctx)
	const senders, each = 50, 20
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				msg := fmt.Sprintf("%d/%d", g, i)
				if err := c.Send(ctx, websocket.TextMessage, []byte(msg)); err != nil {
					t.Errorf("Send(%s) = %v", msg, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Messages == senders*each })
	next := make([]int, senders) // per sender, the index expected next
	for _, m := range srv.Messages() {
		var g, i int
		fmt.Sscanf(string(m), "%d/%d", &g, &i)
		if i != next[g] {
			t.Fatalf("sender %d: message %d arrived when %d was expected", g, i, next[g])
		}
		next[g]++
	}
	if st := c.Stats(); st.MessagesSent != senders*each {
		t.Errorf("MessagesSent = %d, want %d", st.MessagesSent, senders*each)
	}
}

func TestCredentialsRotateDuringOutage(t *testing.T) {
	var current atomic.Value // the token the server accepts
	current.Store("v1")
	srv := newServer(t, testutil.WSServerConfig{Authorize: func(r *http.Request) int {
		if r.Header.Get("Authorization") != "Bearer "+current.Load().(string) {
			return http.StatusUnauthorized
		}
		return 0
	}})
	var fetched atomic.Int32 // credential refreshes
	cached := "v1"
	rec := newRecorder()
	cfg := Config{
		// Enough retries to outlast a late test goroutine: the server must
		// be back before the client gives up.
		Backoff: fixed(t, 10*time.Millisecond, 500),
		Target: func(_ context.Context, info DialInfo) (Target, error) {
			if info.AuthFailed {
				fetched.Add(1)
				cached = current.Load().(string)
			}
			return Target{URL: srv.URL(), Header: http.Header{"Authorization": {"Bearer " + cached}}}, nil
		},
	}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	ctx := ctxTimeout(t, 5*time.Second)
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	current.Store("v2") // the credentials rotate while the server is down
	rec.waitFor(t, "a failed attempt", func(r *recorder) bool {
		return len(r.attempts) > 1 && r.attempts[len(r.attempts)-1].Err != nil
	})
	srv.Start()
	rec.waitFor(t, "the reconnect", func(r *recorder) bool { return len(r.connects) == 2 })

	snap := rec.snapshot()
	var unauthorized int
	for _, a := range snap.attempts {
		if a.StatusCode == http.StatusUnauthorized {
			unauthorized++
		}
	}
	if unauthorized != 1 || fetched.Load() != 1 {
		t.Errorf("%d attempts got 401 and credentials were refreshed %d times, want 1 and 1",
			unauthorized, fetched.Load())
	}
	if len(snap.failures) != 0 {
		t.Errorf("OnFailure called: %+v", snap.failures)
	}
}

func TestUnauthorizedTwiceIsTerminal(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.RejectUpgrades(http.StatusForbidden, 0)
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 10)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	err := c.WaitConnected(ctxTimeout(t, 5*time.Second))
	var e *Error
	if !errors.Is(err, ErrHandshakeRejected) || !errors.As(err, &e) || e.StatusCode != 403 {
		t.Fatalf("WaitConnected = %v, want ErrHandshakeRejected with status 403", err)
	}
	// The state changes to closed before OnFailure runs.
	rec.waitFor(t, "the failure", func(r *recorder) bool { return len(r.failures) == 1 })
	snap := rec.snapshot()
	if len(snap.attempts) != 2 {
		t.Errorf("%d attempts, want 2: one refresh, then stop", len(snap.attempts))
	}
	c.Close(context.Background())
	if n := len(rec.snapshot().failures); n != 1 {
		t.Errorf("OnFailure called %d times, want 1", n)
	}
	if code := e.Code(); code != "ERR-WebSocketRejected" {
		t.Errorf("Code() = %q, want ERR-WebSocketRejected", code)
	}
}

func TestHandshakeStatuses(t *testing.T) {
	tests := []struct {
		status   int
		terminal bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusNotFound, true},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
		{http.StatusTooManyRequests, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := newServer(t, testutil.WSServerConfig{})
			srv.RejectUpgrades(tt.status, 0)
			rec := newRecorder()
			cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 2), MaxRetryAfter: time.Millisecond}
			rec.hook(&cfg)
			c := newClient(t, cfg)
			err := c.WaitConnected(ctxTimeout(t, 5*time.Second))
			want := ErrGaveUp
			attempts := 3
			if tt.terminal {
				want, attempts = ErrHandshakeRejected, 1
			}
			if !errors.Is(err, want) {
				t.Errorf("WaitConnected = %v, want %v", err, want)
			}
			if n := len(rec.snapshot().attempts); n != attempts {
				t.Errorf("%d attempts, want %d", n, attempts)
			}
		})
	}
}

func TestCloseCodes(t *testing.T) {
	tests := []struct {
		code     int
		terminal bool
	}{
		{websocket.CloseGoingAway, false},
		{websocket.CloseInternalServerErr, false},
		{websocket.CloseServiceRestart, false},
		{websocket.CloseNormalClosure, false},
		{4000, false},
		{websocket.CloseProtocolError, true},
		{websocket.CloseUnsupportedData, true},
		{websocket.CloseInvalidFramePayloadData, true},
		{websocket.ClosePolicyViolation, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			srv := newServer(t, testutil.WSServerConfig{})
			rec := newRecorder()
			cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 2)}
			rec.hook(&cfg)
			c := newClient(t, cfg)
			waitBothSides(t, c, srv)
			srv.CloseConns(tt.code, "bye")
			if tt.terminal {
				rec.waitFor(t, "the failure", func(r *recorder) bool { return len(r.failures) == 1 })
				if err := c.Err(); !errors.Is(err, ErrTerminalClose) {
					t.Errorf("Err() = %v, want ErrTerminalClose", err)
				}
			} else {
				rec.waitFor(t, "the reconnect", func(r *recorder) bool { return len(r.connects) == 2 })
			}
			d := rec.snapshot().disconnects[0]
			if d.Reason != ReasonServerClose || d.CloseCode != tt.code {
				t.Errorf("disconnect = %v %d, want server close %d", d.Reason, d.CloseCode, tt.code)
			}
		})
	}
}

func TestStopOnNormalClose(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	c := newClient(t, Config{URL: srv.URL(), StopOnNormalClose: true})
	ctx := ctxTimeout(t, 5*time.Second)
	waitBothSides(t, c, srv)
	srv.CloseConns(websocket.CloseNormalClosure, "done")
	for c.State() != StateClosed {
		select {
		case <-ctx.Done():
			t.Fatal("client did not stop")
		case <-c.done:
		}
	}
	if err := c.Err(); !errors.Is(err, ErrTerminalClose) {
		t.Errorf("Err() = %v, want ErrTerminalClose", err)
	}
}

func TestConnectionLostReconnects(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 2)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	waitBothSides(t, c, srv)
	srv.DropConns()
	rec.waitFor(t, "the reconnect", func(r *recorder) bool { return len(r.connects) == 2 })
	if d := rec.snapshot().disconnects[0]; d.Reason != ReasonConnectionLost {
		t.Errorf("disconnect reason = %v, want connection_lost", d.Reason)
	}
}

func TestWriteTimeoutWhenServerStopsReading(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{Discard: true})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), WriteTimeout: 200 * time.Millisecond,
		Backoff: fixed(t, time.Hour, 1), QueueBytes: 64 << 20}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	waitBothSides(t, c, srv)
	srv.SetReading(false)
	payload := make([]byte, 256<<10)
	var last *Receipt
	for range 200 {
		last = c.SendAsync(websocket.BinaryMessage, payload)
	}
	rec.waitFor(t, "a disconnect", func(r *recorder) bool { return len(r.disconnects) == 1 })
	if d := rec.snapshot().disconnects[0]; d.Reason != ReasonWriteTimeout {
		t.Errorf("disconnect reason = %v (%v), want write_timeout", d.Reason, d.Err)
	}
	c.Close(ctxTimeout(t, 5*time.Second))
	<-last.Done()
	st := c.Stats()
	if resolved := st.MessagesSent + st.MessagesRejected + st.MessagesExpired; resolved != 200 {
		t.Errorf("%d of 200 messages resolved: %+v", resolved, st)
	}
}

func TestForceReconnect(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 1)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	c.WaitConnected(ctxTimeout(t, 5*time.Second))
	c.ForceReconnect()
	rec.waitFor(t, "the reconnect", func(r *recorder) bool { return len(r.connects) == 2 })
	snap := rec.snapshot()
	if d := snap.disconnects[0]; d.Reason != ReasonForced {
		t.Errorf("disconnect reason = %v, want forced", d.Reason)
	}
	if a := snap.attempts[1]; a.Delay != 0 {
		t.Errorf("forced reconnect waited %v, want 0", a.Delay)
	}
	if g := snap.connects[1].Generation; g != 2 {
		t.Errorf("generation = %d, want 2", g)
	}
}

func TestForceReconnectCutsBackoffShort(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.Stop()
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 5)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	rec.waitFor(t, "the backoff wait", func(r *recorder) bool {
		return len(r.states) > 0 && r.states[len(r.states)-1].To == StateWaiting
	})
	srv.Start()
	c.ForceReconnect()
	if err := c.WaitConnected(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestOnConnectRunsBeforeQueueFlush(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.Stop()
	var hookCalls atomic.Int32
	cfg := Config{
		URL: srv.URL(),
		// Retries for five seconds, so that the client is still trying
		// when a late test goroutine starts the server.
		Backoff: fixed(t, 10*time.Millisecond, 500),
		OnConnect: func(ctx context.Context, conn *Conn) error {
			if hookCalls.Add(1) == 1 {
				return errors.New("not ready")
			}
			return conn.WriteMessage(websocket.TextMessage, []byte("subscribe"))
		},
	}
	rec := newRecorder()
	rec.hook(&cfg)
	c := newClient(t, cfg)
	receipts := []*Receipt{
		c.SendAsync(websocket.TextMessage, []byte("a")),
		c.SendAsync(websocket.TextMessage, []byte("b")),
	}
	srv.Start()
	for _, r := range receipts {
		<-r.Done()
		if r.Outcome() != OutcomeSent {
			t.Fatalf("queued message: %v, %v", r.Outcome(), r.Err())
		}
	}
	ctx := ctxTimeout(t, 5*time.Second)
	srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Messages == 3 })
	got := fmt.Sprintf("%s", srv.Messages())
	if got != "[subscribe a b]" {
		t.Errorf("server received %s, want [subscribe a b]", got)
	}
	var failedHook bool
	for _, a := range rec.snapshot().attempts {
		if a.Err != nil && strings.Contains(a.Err.Error(), "not ready") {
			failedHook = true
		}
	}
	if !failedHook {
		t.Error("the OnConnect error did not count as a failed attempt")
	}
}

func TestFailFastRejectsWhileDisconnected(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.Stop()
	c := newClient(t, Config{URL: srv.URL(), FailFast: true, Backoff: fixed(t, time.Hour, 1)})
	err := c.Send(context.Background(), websocket.TextMessage, []byte("x"))
	if !errors.Is(err, ErrNotConnected) {
		t.Errorf("Send while disconnected = %v, want ErrNotConnected", err)
	}
	if st := c.Stats(); st.MessagesRejected != 1 {
		t.Errorf("MessagesRejected = %d, want 1", st.MessagesRejected)
	}
}

func TestQueueLimits(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.Stop()
	t.Run("reject new", func(t *testing.T) {
		c := newClient(t, Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 1),
			QueueMessages: 2, QueueBytes: 10})
		a := c.SendAsync(websocket.TextMessage, []byte("aaaa"))
		b := c.SendAsync(websocket.TextMessage, []byte("bbbb"))
		full := c.SendAsync(websocket.TextMessage, []byte("c"))
		big := c.SendAsync(websocket.TextMessage, make([]byte, 11))
		if !errors.Is(full.Err(), ErrQueueFull) || !errors.Is(big.Err(), ErrTooLarge) {
			t.Errorf("full = %v, big = %v; want ErrQueueFull, ErrTooLarge", full.Err(), big.Err())
		}
		if a.Outcome() != OutcomePending || b.Outcome() != OutcomePending {
			t.Errorf("queued outcomes = %v, %v; want pending", a.Outcome(), b.Outcome())
		}
		c.Close(context.Background())
		if !errors.Is(a.Err(), ErrClosed) {
			t.Errorf("queued message after Close = %v, want ErrClosed", a.Err())
		}
		st := c.Stats()
		if st.MessagesRejected != 4 || st.QueueLength != 0 {
			t.Errorf("Stats = %+v, want 4 rejected and an empty queue", st)
		}
	})
	t.Run("drop oldest", func(t *testing.T) {
		c := newClient(t, Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 1),
			QueueMessages: 2, DropOldest: true})
		a := c.SendAsync(websocket.TextMessage, []byte("a"))
		c.SendAsync(websocket.TextMessage, []byte("b"))
		c3 := c.SendAsync(websocket.TextMessage, []byte("c"))
		if !errors.Is(a.Err(), ErrDropped) || a.Outcome() != OutcomeRejected {
			t.Errorf("oldest = %v, %v; want rejected with ErrDropped", a.Outcome(), a.Err())
		}
		if c3.Outcome() != OutcomePending {
			t.Errorf("newest outcome = %v, want pending", c3.Outcome())
		}
		st := c.Stats()
		if st.MessagesDropped != 1 || st.QueueLength != 2 {
			t.Errorf("Stats = %+v, want 1 dropped and 2 queued", st)
		}
	})
}

func TestConnectCloseCyclesLeaveNoGoroutines(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	ctx := ctxTimeout(t, 20*time.Second)
	cycle := func() {
		c, err := New(Config{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cycle()
	srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Open == 0 })
	before := runtime.NumGoroutine()
	const cycles = 1000
	for range cycles {
		cycle()
	}
	srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Open == 0 })
	// Goroutines of the last cycle may still be returning; a leak of
	// one per cycle would show as a thousand.
	if after := runtime.NumGoroutine(); after > before+10 {
		t.Errorf("goroutines: %d before %d cycles, %d after", before, cycles, after)
	}
	if st := srv.Stats(); st.Upgrades != cycles+1 {
		t.Errorf("server upgrades = %d, want %d", st.Upgrades, cycles+1)
	}
}

func TestTerminalCloseWinsOverRacingWriteError(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{Discard: true})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 5)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	waitBothSides(t, c, srv)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		payload := make([]byte, 16<<10)
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.SendAsync(websocket.BinaryMessage, payload)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	srv.WaitFor(ctxTimeout(t, 5*time.Second), func(s testutil.WSServerStats) bool { return s.Messages > 10 })
	srv.CloseConns(websocket.ClosePolicyViolation, "banned")
	rec.waitFor(t, "the failure", func(r *recorder) bool { return len(r.failures) == 1 })
	if err := c.Err(); !errors.Is(err, ErrTerminalClose) {
		t.Errorf("Err() = %v, want ErrTerminalClose", err)
	}
}

func TestRestartOnLoopback(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	rec := newRecorder()
	// Retries for five seconds, so that the client is still trying when a
	// late test goroutine starts the server again.
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, 20*time.Millisecond, 250)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	waitBothSides(t, c, srv)

	srv.Stop()
	rec.waitFor(t, "a refused attempt", func(r *recorder) bool {
		return len(r.attempts) > 1 && r.attempts[len(r.attempts)-1].Err != nil
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "the reconnect", func(r *recorder) bool { return len(r.connects) == 2 })
	if n := len(rec.snapshot().failures); n != 0 {
		t.Errorf("OnFailure called %d times, want 0", n)
	}
}

func TestRestartPastBudgetOnLoopback(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 3)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	waitBothSides(t, c, srv)

	srv.Stop()
	rec.waitFor(t, "the give-up", func(r *recorder) bool { return len(r.failures) == 1 })
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c.Close(ctxTimeout(t, 5*time.Second))
	if n := len(rec.snapshot().failures); n != 1 {
		t.Errorf("OnFailure called %d times, want exactly 1", n)
	}
	if st := srv.Stats(); st.Handshakes != 1 {
		t.Errorf("server saw %d handshakes, want only the first connection's", st.Handshakes)
	}
	if d := c.Stats().Dials; d != 4 {
		t.Errorf("Dials = %d, want 4: the first and 3 retries", d)
	}
}

func TestFlappingServerOnLoopback(t *testing.T) {
	// The server upgrades every request and drops it at once.
	upgrader := websocket.Upgrader{}
	flapping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, err := upgrader.Upgrade(w, r, nil); err == nil {
			conn.Close()
		}
	}))
	defer flapping.Close()
	p, err := backoff.New(backoff.Config{Initial: time.Millisecond, MaxRetries: 5})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	cfg := Config{URL: "ws" + strings.TrimPrefix(flapping.URL, "http"), Backoff: p}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	rec.waitFor(t, "the give-up", func(r *recorder) bool { return len(r.failures) == 1 })

	var delays []time.Duration
	for _, a := range rec.snapshot().attempts {
		delays = append(delays, a.Delay)
	}
	want := []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond,
		8 * time.Millisecond, 16 * time.Millisecond}
	if !equalDurations(delays, want) {
		t.Errorf("attempt delays = %v, want %v: each drop takes the next delay", delays, want)
	}
	if st := c.Stats(); st.Dials != 6 || st.Connects != 6 {
		t.Errorf("Stats = %+v, want 6 dials that all connected", st)
	}
}

func TestReadLimitEndsConnection(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	rec := newRecorder()
	cfg := Config{URL: srv.URL(), ReadLimit: 16, Backoff: fixed(t, time.Hour, 1)}
	rec.hook(&cfg)
	c := newClient(t, cfg)
	waitBothSides(t, c, srv)
	srv.Broadcast(websocket.BinaryMessage, make([]byte, 17))
	rec.waitFor(t, "a disconnect", func(r *recorder) bool { return len(r.disconnects) == 1 })
	if st := c.Stats(); st.MessagesReceived != 0 {
		t.Errorf("MessagesReceived = %d, want 0", st.MessagesReceived)
	}
}
