package wsreconnect

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/testutil"
	"github.com/gorilla/websocket"
)

// hostileServer serves handler over an in-memory network inside a
// synctest bubble and returns a client config that dials it. It waits
// for the handlers when the test ends.
func hostileServer(t *testing.T, handler func(ws *websocket.Conn)) Config {
	t.Helper()
	network := new(testutil.PipeNetwork)
	ln, err := network.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	upgrader := websocket.Upgrader{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer ws.Close()
		handler(ws)
	})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
		wg.Wait()
	})
	return Config{URL: "ws://" + ln.Addr().String() + "/", Dialer: pipeDialer(network)}
}

// A server that reads the close frame but never replies, and keeps
// streaming data, must not hold Close(context.Background()) forever. The
// data frames renew the read deadline, so that deadline alone does not
// bound the wait.
func TestCloseBoundedWhenServerStreamsAndIgnoresClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		quiet := make(chan struct{}) // closed to stop the stream
		cfg := hostileServer(t, func(ws *websocket.Conn) {
			ws.SetCloseHandler(func(int, string) error { return nil }) // never reply
			go func() {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			for {
				select {
				case <-quiet:
					return
				case <-time.After(time.Second):
				}
				ws.SetWriteDeadline(time.Now().Add(time.Second))
				if err := ws.WriteMessage(websocket.TextMessage, []byte("tick")); err != nil {
					return
				}
			}
		})
		cfg.Backoff = fixed(t, time.Hour, 1)
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitConnected(context.Background()); err != nil {
			t.Fatal(err)
		}
		closed := make(chan error, 1)
		began := time.Now()
		go func() { closed <- c.Close(context.Background()) }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close = %v", err)
			}
			if took := time.Since(began); took > 30*time.Second {
				t.Errorf("Close took %v, want at most ReadTimeout (30s)", took)
			}
		case <-time.After(10 * time.Minute):
			t.Error("Close still waiting after 10 minutes of server data")
			close(quiet) // the read deadline then ends the wait
			<-closed
		}
	})
}

// Close sends a close frame even when a ForceReconnect is pending at the
// same moment: the supervisor must not pick the forced reconnect, which
// drops the socket without one.
func TestCloseWinsOverPendingForceReconnect(t *testing.T) {
	for range 8 { // the supervisor's choice between ready cases is random
		synctest.Test(t, func(t *testing.T) {
			codes := make(chan int, 1)
			cfg := hostileServer(t, func(ws *websocket.Conn) {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						code := -1
						if ce, ok := err.(*websocket.CloseError); ok {
							code = ce.Code
						}
						codes <- code
						return
					}
				}
			})
			entered, release := make(chan struct{}), make(chan struct{})
			cfg.OnSuccess = func(ConnectEvent) {
				close(entered)
				<-release
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			<-entered
			c.ForceReconnect()
			closed := make(chan error, 1)
			go func() { closed <- c.Close(context.Background()) }()
			synctest.Wait()
			close(release)
			if err := <-closed; err != nil {
				t.Errorf("Close = %v", err)
			}
			if code := <-codes; code != websocket.CloseNormalClosure {
				t.Errorf("server saw close code %d, want 1000", code)
			}
		})
	}
}

// Every message given to Send or SendAsync resolves exactly once, to the
// outcome Stats counts, while connections drop, reconnects are forced and
// Close lands in the middle of the traffic.
func TestOutcomesAddUpUnderChurnAndClose(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{Discard: true})
	c, err := New(Config{URL: srv.URL(), Backoff: fixed(t, time.Millisecond, 0),
		QueueMessages: 16, QueueBytes: 512, QueueTTL: 20 * time.Millisecond,
		DropOldest: true})
	if err != nil {
		t.Fatal(err)
	}
	c.WaitConnected(ctxTimeout(t, 5*time.Second))

	stopChurn := make(chan struct{})
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for i := 0; ; i++ {
			select {
			case <-stopChurn:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if i%2 == 0 {
				c.ForceReconnect()
			} else {
				srv.DropConns()
			}
		}
	}()

	const senders, each, asyncBurst = 8, 300, 6
	const messages = senders * (each/3*asyncBurst + each/3*2)
	var mu sync.Mutex
	var counts [4]int // by Outcome
	count := func(o Outcome) {
		mu.Lock()
		counts[o]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := make([]byte, 8+g*8)
			for i := range each {
				switch i % 3 {
				case 0: // a burst, so that the drop-oldest policy evicts
					var burst [asyncBurst]*Receipt
					for k := range burst {
						burst[k] = c.SendAsync(websocket.BinaryMessage, payload)
					}
					for _, r := range burst {
						select {
						case <-r.Done():
							count(r.Outcome())
						case <-time.After(10 * time.Second):
							t.Error("a SendAsync receipt never resolved")
							return
						}
					}
				case 1:
					ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
					count(outcomeOf(c.Send(ctx, websocket.BinaryMessage, payload)))
					cancel()
				default:
					count(outcomeOf(c.Send(context.Background(), websocket.BinaryMessage, payload)))
				}
				if g == 0 && i == each/2 {
					if err := c.Close(ctxTimeout(t, 5*time.Second)); err != nil {
						t.Errorf("Close = %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stopChurn)
	<-churned

	st := c.Stats()
	if counts[OutcomePending] != 0 {
		t.Errorf("%d messages still pending after Close", counts[OutcomePending])
	}
	if total := st.MessagesSent + st.MessagesRejected + st.MessagesExpired; total != messages {
		t.Errorf("Stats count %d outcomes, want %d: %+v", total, messages, st)
	}
	if int(st.MessagesSent) != counts[OutcomeSent] || int(st.MessagesRejected) != counts[OutcomeRejected] ||
		int(st.MessagesExpired) != counts[OutcomeExpired] {
		t.Errorf("Stats %+v, callers saw sent %d, rejected %d, expired %d", st,
			counts[OutcomeSent], counts[OutcomeRejected], counts[OutcomeExpired])
	}
	if st.QueueLength != 0 || st.QueueBytes != 0 {
		t.Errorf("queue holds %d messages, %d bytes after Close", st.QueueLength, st.QueueBytes)
	}
	t.Logf("sent %d, rejected %d (dropped %d), expired %d, connects %d", st.MessagesSent,
		st.MessagesRejected, st.MessagesDropped, st.MessagesExpired, st.Connects)
}

// outcomeOf maps Send's result to the outcome it reports.
func outcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeSent
	case errors.Is(err, ErrExpired):
		return OutcomeExpired
	}
	return OutcomeRejected
}

// A blocking Send from OnSuccess, a natural place to greet the server,
// must not wait for the hook that is calling it to return.
func TestSendFromOnSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		sent := make(chan error, 1)
		began := time.Now()
		var c *Client
		ready := make(chan struct{})
		cfg.OnSuccess = func(ConnectEvent) {
			<-ready
			sent <- c.Send(context.Background(), websocket.TextMessage, []byte("hello"))
		}
		c = startClient(t, cfg)
		close(ready)
		if err := <-sent; err != nil {
			t.Errorf("Send from OnSuccess = %v after %v", err, time.Since(began))
		}
		if took := time.Since(began); took != 0 {
			t.Errorf("Send from OnSuccess took %v, want no wait; %+v", took, c.Stats())
		}
		synctest.Wait()
		if got := srv.Messages(); len(got) != 1 || string(got[0]) != "hello" {
			t.Errorf("server got %q, want [hello]", got)
		}
	})
}

// Hooks may call Close with a context that ends: the call returns that
// context's error, since the client cannot finish while the hook runs,
// and the client stops once the hook returns.
func TestCloseFromHooks(t *testing.T) {
	t.Run("OnMessage", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv, cfg := pipeServer(t, testutil.WSServerConfig{})
			var c *Client
			ready := make(chan struct{}) // closed once c is set
			closed := make(chan error, 1)
			cfg.OnMessage = func(int, []byte) {
				<-ready
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				closed <- c.Close(ctx)
			}
			c = startClient(t, cfg)
			close(ready)
			c.WaitConnected(context.Background())
			synctest.Wait() // the server has registered the connection
			srv.Broadcast(websocket.TextMessage, []byte("stop"))
			if err := <-closed; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Close from OnMessage = %v, want DeadlineExceeded", err)
			}
			synctest.Wait()
			if st := c.Stats(); st.State != StateClosed || st.Dials != 1 {
				t.Errorf("Stats = %+v, want closed after 1 dial", st)
			}
		})
	})
	t.Run("OnFailure", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv, cfg := pipeServer(t, testutil.WSServerConfig{})
			srv.RejectUpgrades(http.StatusNotFound, 0)
			var c *Client
			ready := make(chan struct{}) // closed once c is set
			closed := make(chan error, 1)
			cfg.OnFailure = func(GiveUpEvent) {
				<-ready
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				closed <- c.Close(ctx)
			}
			c = startClient(t, cfg)
			close(ready)
			if err := <-closed; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Close from OnFailure = %v, want DeadlineExceeded", err)
			}
			if err := c.Close(context.Background()); err != nil {
				t.Errorf("Close after OnFailure = %v", err)
			}
			if !errors.Is(c.Err(), ErrHandshakeRejected) {
				t.Errorf("Err() = %v, want ErrHandshakeRejected", c.Err())
			}
		})
	})
}

// A connection that lasted exactly StableAfter starts the backoff afresh;
// one that ends a nanosecond sooner continues it.
func TestStableAfterBoundary(t *testing.T) {
	for _, tt := range []struct {
		up        time.Duration
		wantDelay time.Duration
	}{
		{time.Minute, time.Second},
		{time.Minute - time.Nanosecond, 2 * time.Second},
	} {
		synctest.Test(t, func(t *testing.T) {
			srv, cfg := pipeServer(t, testutil.WSServerConfig{})
			cfg.Backoff = exponential(t, 5)
			cfg.StableAfter = time.Minute
			tl := newTimeline(&cfg)
			c := startClient(t, cfg)
			for _, up := range []time.Duration{time.Second, tt.up} {
				c.WaitConnected(context.Background())
				time.Sleep(up)
				srv.DropConns()
				synctest.Wait()
			}
			c.WaitConnected(context.Background())
			snap := tl.snapshot()
			if d := snap.disconnects[1].Uptime; d != tt.up {
				t.Errorf("uptime = %v, want %v", d, tt.up)
			}
			if got := snap.attempts[len(snap.attempts)-1].Delay; got != tt.wantDelay {
				t.Errorf("after %v up, delay = %v, want %v", tt.up, got, tt.wantDelay)
			}
		})
	}
}

// An unsolicited pong, which RFC 6455 allows, carries no ping's send time
// and must not set LastRTT.
func TestUnsolicitedPongLeavesRTT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := hostileServer(t, func(ws *websocket.Conn) {
			deadline := time.Now().Add(time.Second)
			ws.WriteControl(websocket.PongMessage, []byte("ok"), deadline)
			payload := []byte{0x40, 0, 0, 0, 0, 0, 0, 0} // 2^62 ns after the epoch
			ws.WriteControl(websocket.PongMessage, payload, deadline)
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		})
		c := startClient(t, cfg)
		c.WaitConnected(context.Background())
		synctest.Wait()
		if rtt := c.Stats().LastRTT; rtt != 0 {
			t.Errorf("LastRTT after an unsolicited pong = %v, want 0", rtt)
		}
		time.Sleep(11 * time.Second) // past the first ping, after 10 s
		if rtt := c.Stats().LastRTT; rtt != 0 {
			t.Errorf("LastRTT after a ping on pipes = %v, want 0", rtt)
		}
	})
}

// The queue's limits hold at their exact values, for count and bytes, and
// drop-oldest evicts as many messages as a new one needs.
func TestQueueExactBoundaries(t *testing.T) {
	srv := newServer(t, testutil.WSServerConfig{})
	srv.Stop()
	c := newClient(t, Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 1),
		QueueMessages: 3, QueueBytes: 8})
	a := c.SendAsync(websocket.TextMessage, []byte("aaaa"))
	b := c.SendAsync(websocket.TextMessage, []byte("bbbb")) // 8 bytes: full
	empty := c.SendAsync(websocket.TextMessage, nil)        // fits by count
	over := c.SendAsync(websocket.TextMessage, nil)         // 4th message
	for _, r := range []*Receipt{a, b, empty} {
		if r.Outcome() != OutcomePending {
			t.Errorf("a message within the limits: %v %v", r.Outcome(), r.Err())
		}
	}
	if !errors.Is(over.Err(), ErrQueueFull) {
		t.Errorf("message past QueueMessages: %v, want ErrQueueFull", over.Err())
	}
	if r := c.SendAsync(websocket.TextMessage, make([]byte, 9)); !errors.Is(r.Err(), ErrTooLarge) {
		t.Errorf("message of QueueBytes+1: %v, want ErrTooLarge", r.Err())
	}

	d := newClient(t, Config{URL: srv.URL(), Backoff: fixed(t, time.Hour, 1),
		QueueMessages: 3, QueueBytes: 8, DropOldest: true})
	a = d.SendAsync(websocket.TextMessage, []byte("aaaa"))
	b = d.SendAsync(websocket.TextMessage, []byte("bbbb"))
	whole := d.SendAsync(websocket.TextMessage, []byte("cccccccc")) // QueueBytes exactly
	if !errors.Is(a.Err(), ErrDropped) || !errors.Is(b.Err(), ErrDropped) {
		t.Errorf("older messages: %v, %v; want both ErrDropped", a.Err(), b.Err())
	}
	if whole.Outcome() != OutcomePending {
		t.Errorf("message of QueueBytes: %v %v, want pending", whole.Outcome(), whole.Err())
	}
	if st := d.Stats(); st.QueueLength != 1 || st.QueueBytes != 8 || st.MessagesDropped != 2 {
		t.Errorf("Stats = %+v, want 1 message of 8 bytes queued, 2 dropped", st)
	}
}

// A Target callback that fails or returns an unusable URL costs an
// attempt each time, and the client gives up on schedule with the last
// error, without dialing.
func TestTargetErrorsCountAsAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		errRotate := errors.New("credential store unavailable")
		targets := []func() (Target, error){
			func() (Target, error) { return Target{}, errRotate },
			func() (Target, error) { return Target{URL: "http://" + srv.Addr() + "/"}, nil },
			func() (Target, error) { return Target{URL: "ws://%zz"}, nil },
			func() (Target, error) { return Target{URL: ""}, nil },
		}
		cfg.URL = ""
		cfg.Backoff = fixed(t, time.Second, len(targets)-1)
		cfg.Target = func(_ context.Context, info DialInfo) (Target, error) {
			return targets[info.Attempt-1]()
		}
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		err := c.WaitConnected(context.Background())
		if !errors.Is(err, ErrGaveUp) {
			t.Fatalf("WaitConnected = %v, want ErrGaveUp", err)
		}
		synctest.Wait()
		snap := tl.snapshot()
		if len(snap.attempts) != len(targets) || len(snap.failures) != 1 {
			t.Errorf("attempts %d, failures %d; want %d and 1", len(snap.attempts),
				len(snap.failures), len(targets))
		}
		if !errors.Is(snap.attempts[0].Err, errRotate) {
			t.Errorf("first attempt error = %v, want the Target error", snap.attempts[0].Err)
		}
		if st := srv.Stats(); st.Handshakes != 0 {
			t.Errorf("server saw %d handshakes, want 0", st.Handshakes)
		}
	})
}

// A long outage in queue mode holds memory flat: messages expire from the
// bounded queue and nothing accumulates per attempt or per message.
func TestLongOutageKeepsMemoryFlat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.Stop()
		cfg.Backoff = Unlimited()
		cfg.QueueMessages = 64
		c := startClient(t, cfg)
		payload := make([]byte, 256)
		heap := func() uint64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		var before uint64
		const perSecond, minutes = 10, 60
		for i := range minutes * 60 * perSecond {
			if i == 10*60*perSecond {
				before = heap()
			}
			c.SendAsync(websocket.BinaryMessage, payload)
			time.Sleep(time.Second / perSecond)
		}
		after := heap()
		if after > before+1<<20 {
			t.Errorf("heap grew from %d to %d bytes during the outage", before, after)
		}
		st := c.Stats()
		if st.QueueLength > 64 || st.MessagesSent != 0 {
			t.Errorf("Stats = %+v, want at most 64 queued and none sent", st)
		}
		if total := st.MessagesRejected + st.MessagesExpired + uint64(st.QueueLength); total != minutes*60*perSecond {
			t.Errorf("outcomes and queue add up to %d, want %d", total, minutes*60*perSecond)
		}
	})
}

// In fail-fast mode a Send right after WaitConnected returns is accepted,
// even while OnSuccess is still running.
func TestFailFastSendAfterWaitConnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		cfg.FailFast = true
		release := make(chan struct{})
		cfg.OnSuccess = func(ConnectEvent) { <-release }
		c := startClient(t, cfg)
		defer close(release)
		if err := c.WaitConnected(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := c.Send(context.Background(), websocket.TextMessage, []byte("x")); err != nil {
			t.Errorf("Send after WaitConnected = %v, want nil", err)
		}
		synctest.Wait()
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("server got %d messages, want 1", n)
		}
	})
}
