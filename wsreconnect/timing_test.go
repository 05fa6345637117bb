package wsreconnect

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/internal/testutil"
	"github.com/gorilla/websocket"
)

// The tests in this file run inside testing/synctest bubbles, where time
// is fake and advances only when every goroutine of the bubble is blocked.
// Real sockets do not count as blocked, so client and server talk over
// testutil.PipeNetwork's in-memory pipes, and every timing below is exact.

// pipeServer starts a test server on an in-memory network inside the
// bubble and returns a client config that dials it.
func pipeServer(t *testing.T, cfg testutil.WSServerConfig) (*testutil.WSServer, Config) {
	t.Helper()
	network := new(testutil.PipeNetwork)
	cfg.Listen = network.Listen
	srv, err := testutil.NewWSServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, Config{URL: srv.URL(), Dialer: pipeDialer(network)}
}

// timeline records when, since its creation, each hook event happened.
type timeline struct {
	*recorder
	start        time.Time
	attemptTimes []time.Duration
	failureTimes []time.Duration
	disconnectAt []time.Duration
}

func newTimeline(cfg *Config) *timeline {
	tl := &timeline{recorder: newRecorder(), start: time.Now()}
	tl.hook(cfg)
	onAttempt, onFailure, onDisconnect := cfg.OnAttempt, cfg.OnFailure, cfg.OnDisconnect
	cfg.OnAttempt = func(e AttemptEvent) {
		tl.mu.Lock()
		tl.attemptTimes = append(tl.attemptTimes, time.Since(tl.start))
		tl.mu.Unlock()
		onAttempt(e)
	}
	cfg.OnFailure = func(e GiveUpEvent) {
		tl.mu.Lock()
		tl.failureTimes = append(tl.failureTimes, time.Since(tl.start))
		tl.mu.Unlock()
		onFailure(e)
	}
	cfg.OnDisconnect = func(e DisconnectEvent) {
		tl.mu.Lock()
		tl.disconnectAt = append(tl.disconnectAt, time.Since(tl.start))
		tl.mu.Unlock()
		onDisconnect(e)
	}
	return tl
}

func startClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func exponential(t *testing.T, retries int) backoff.Schedule {
	t.Helper()
	p, err := backoff.New(backoff.Config{Initial: time.Second, Max: 32 * time.Second, MaxRetries: retries})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBackoffScheduleExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.Stop() // every dial is refused
		cfg.Backoff = exponential(t, 5)
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		time.Sleep(time.Hour)
		synctest.Wait()

		want := []time.Duration{0, 1 * time.Second, 3 * time.Second, 7 * time.Second,
			15 * time.Second, 31 * time.Second}
		if !equalDurations(tl.attemptTimes, want) {
			t.Errorf("attempts at %v, want %v", tl.attemptTimes, want)
		}
		if !equalDurations(tl.failureTimes, []time.Duration{31 * time.Second}) {
			t.Errorf("OnFailure at %v, want once at 31s", tl.failureTimes)
		}
		err := c.Err()
		var e *Error
		if !errors.Is(err, ErrGaveUp) || !errors.As(err, &e) || e.Attempts != 6 {
			t.Errorf("Err() = %v, want ErrGaveUp after 6 attempts", err)
		}
		if got := c.State(); got != StateClosed {
			t.Errorf("State() = %v, want closed", got)
		}
		if err := c.Send(context.Background(), websocket.TextMessage, []byte("x")); !errors.Is(err, ErrClosed) {
			t.Errorf("Send after give-up = %v, want ErrClosed", err)
		}
	})
}

func equalDurations(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestNetworkPresetJitterBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.Stop()
		tl := newTimeline(&cfg) // Backoff nil: backoff.Network()
		startClient(t, cfg)
		time.Sleep(time.Hour)
		synctest.Wait()

		snap := tl.snapshot()
		if len(snap.attempts) != 6 {
			t.Fatalf("%d attempts, want 6 (the first and 5 retries)", len(snap.attempts))
		}
		var total time.Duration
		for i, a := range snap.attempts[1:] {
			upper := time.Second << i
			if a.Delay < upper/2 || a.Delay > upper {
				t.Errorf("retry %d waited %v, want within [%v, %v]", i+1, a.Delay, upper/2, upper)
			}
			total += a.Delay
		}
		if len(tl.failureTimes) != 1 || tl.failureTimes[0] != total {
			t.Errorf("OnFailure at %v, want once at %v", tl.failureTimes, total)
		}
		if total < 15500*time.Millisecond || total > 31*time.Second {
			t.Errorf("waited %v in all, want within [15.5s, 31s]", total)
		}
	})
}

func TestRestartShorterThanBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		c.WaitConnected(context.Background())
		synctest.Wait()

		srv.Stop()
		time.Sleep(10 * time.Second) // the shortest give-up takes 15.5 s
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitConnected(context.Background()); err != nil {
			t.Fatalf("WaitConnected after restart: %v", err)
		}
		snap := tl.snapshot()
		if len(snap.connects) != 2 || !snap.connects[1].Reconnect {
			t.Errorf("connects = %+v, want a first connection and a reconnect", snap.connects)
		}
		if len(snap.failures) != 0 {
			t.Errorf("OnFailure called %d times, want 0", len(snap.failures))
		}
		if g := c.Stats().Generation; g != 2 {
			t.Errorf("Generation = %d, want 2", g)
		}
	})
}

func TestRestartLongerThanBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		c.WaitConnected(context.Background())
		synctest.Wait()

		srv.Stop()
		time.Sleep(time.Minute) // the give-up takes 31 s at most
		synctest.Wait()
		dials := c.Stats().Dials
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()

		snap := tl.snapshot()
		if len(snap.failures) != 1 {
			t.Fatalf("OnFailure called %d times, want exactly 1", len(snap.failures))
		}
		if !errors.Is(snap.failures[0].Err, ErrGaveUp) {
			t.Errorf("OnFailure error = %v, want ErrGaveUp", snap.failures[0].Err)
		}
		if got := c.Stats().Dials; got != dials || got != 6 {
			t.Errorf("Dials = %d after restart, %d before, want 6 both times", got, dials)
		}
		err := c.WaitConnected(context.Background())
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrGaveUp) {
			t.Errorf("WaitConnected = %v, want ErrClosed and ErrGaveUp", err)
		}
	})
}

func TestRetryBudgetStopsUnlimitedSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.Stop()
		cfg.Backoff = Unlimited()
		cfg.RetryBudget = 20 * time.Second
		tl := newTimeline(&cfg)
		startClient(t, cfg)
		time.Sleep(time.Hour)
		synctest.Wait()

		if len(tl.failureTimes) != 1 {
			t.Fatalf("OnFailure called %d times, want 1", len(tl.failureTimes))
		}
		if at := tl.failureTimes[0]; at > 20*time.Second {
			t.Errorf("gave up at %v, want within the 20s budget", at)
		}
		last := tl.attemptTimes[len(tl.attemptTimes)-1]
		if last > 20*time.Second {
			t.Errorf("last attempt at %v, past the 20s budget", last)
		}
	})
}

func TestNoBusyLoopWhileDisconnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.Stop()
		cfg.Backoff = Unlimited()
		c := startClient(t, cfg)
		// A loop that never blocks would keep the bubble from advancing
		// time, and this test would time out instead of passing.
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		// Delays grow to between 16 and 32 s after 5 retries: at most
		// 6 + 600/16 dials in 10 minutes.
		if d := c.Stats().Dials; d > 6+600/16 || d < 600/32 {
			t.Errorf("Dials in 10 minutes = %d, want between %d and %d", d, 600/32, 6+600/16)
		}
		if s := c.State(); s != StateWaiting {
			t.Errorf("State() = %v, want waiting", s)
		}
	})
}

func TestHeartbeatDetectsSilentPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.AnswerPings(false)
		cfg.Backoff = fixed(t, time.Hour, 1)
		tl := newTimeline(&cfg)
		startClient(t, cfg)
		time.Sleep(time.Minute)
		synctest.Wait()

		snap := tl.snapshot()
		if len(snap.disconnects) != 1 {
			t.Fatalf("disconnects = %+v, want 1", snap.disconnects)
		}
		d := snap.disconnects[0]
		if d.Reason != ReasonHeartbeat || d.Uptime != 30*time.Second {
			t.Errorf("disconnect = %v after %v, want heartbeat after 30s", d.Reason, d.Uptime)
		}
	})
}

func TestHeartbeatKeepsAnsweringPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, cfg := pipeServer(t, testutil.WSServerConfig{})
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		// No data flows either way: only pongs renew the read deadline.
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if snap := tl.snapshot(); len(snap.disconnects) != 0 {
			t.Errorf("disconnects = %+v, want none", snap.disconnects)
		}
		if s := c.State(); s != StateConnected {
			t.Errorf("State() = %v, want connected", s)
		}
	})
}

func TestHalfOpenDetectedWithinDeadlinePlusPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		cfg.Backoff = fixed(t, time.Hour, 1)
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		c.WaitConnected(context.Background())
		time.Sleep(25 * time.Second)
		srv.SetReading(false) // from now on the peer is silent
		stopped := time.Since(tl.start)
		time.Sleep(5 * time.Minute)
		synctest.Wait()

		if len(tl.disconnectAt) != 1 {
			t.Fatalf("disconnects at %v, want 1", tl.disconnectAt)
		}
		detected := tl.disconnectAt[0] - stopped
		if limit := 30*time.Second + 10*time.Second; detected > limit {
			t.Errorf("silent peer detected after %v, want within %v", detected, limit)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		cfg.Backoff = fixed(t, time.Second, 10)
		cfg.MaxRetryAfter = 20 * time.Second
		tl := newTimeline(&cfg)
		srv.RejectUpgrades(http.StatusServiceUnavailable, 7*time.Second)
		c := startClient(t, cfg)
		synctest.Wait()
		srv.RejectUpgrades(http.StatusTooManyRequests, 0)
		time.Sleep(7 * time.Second)
		synctest.Wait()
		srv.RejectUpgrades(http.StatusServiceUnavailable, 10*time.Minute)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		srv.RejectUpgrades(0, 0)
		if err := c.WaitConnected(context.Background()); err != nil {
			t.Fatal(err)
		}

		snap := tl.snapshot()
		var delays []time.Duration
		for _, a := range snap.attempts {
			delays = append(delays, a.Delay)
		}
		// 503 with Retry-After 7 s, then 429 without it (twice the
		// 1 s delay), then 503 asking for 10 min, capped at 20 s.
		want := []time.Duration{0, 7 * time.Second, 2 * time.Second, 20 * time.Second}
		if !equalDurations(delays, want) {
			t.Errorf("attempt delays = %v, want %v", delays, want)
		}
	})
}

func TestTryAgainLaterCloseDoublesDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		cfg.Backoff = fixed(t, 3*time.Second, 5)
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)
		c.WaitConnected(context.Background())
		synctest.Wait() // the server has registered the connection
		srv.CloseConns(websocket.CloseTryAgainLater, "busy")
		time.Sleep(time.Minute)
		synctest.Wait()

		snap := tl.snapshot()
		if len(snap.attempts) != 2 || snap.attempts[1].Delay != 6*time.Second {
			t.Fatalf("attempts = %+v, want a reconnect after 6s", snap.attempts)
		}
		if d := snap.disconnects[0]; d.Reason != ReasonServerClose || d.CloseCode != 1013 {
			t.Errorf("disconnect = %+v, want server close 1013", d)
		}
	})
}

func TestStableConnectionResetsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		cfg.Backoff = exponential(t, 5)
		cfg.StableAfter = time.Minute
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)

		// Three short-lived connections take delays 1, 2 and 4 s; after a
		// connection that lasted StableAfter the sequence starts again.
		for _, up := range []time.Duration{time.Second, time.Second, time.Second, 2 * time.Minute} {
			c.WaitConnected(context.Background())
			time.Sleep(up)
			srv.DropConns()
			synctest.Wait()
		}
		c.WaitConnected(context.Background())

		var delays []time.Duration
		for _, a := range tl.snapshot().attempts {
			delays = append(delays, a.Delay)
		}
		want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, time.Second}
		if !equalDurations(delays, want) {
			t.Errorf("attempt delays = %v, want %v", delays, want)
		}
	})
}

func TestFlappingServerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		cfg.Backoff = exponential(t, 5)
		tl := newTimeline(&cfg)
		c := startClient(t, cfg)

		// The server drops every connection as soon as it is up.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for n := 1; ; n++ {
				err := srv.WaitFor(ctx, func(s testutil.WSServerStats) bool { return s.Upgrades >= n })
				if err != nil {
					return
				}
				srv.DropConns()
			}
		}()
		time.Sleep(time.Hour)
		synctest.Wait()

		if len(tl.failureTimes) != 1 {
			t.Fatalf("OnFailure called %d times, want 1", len(tl.failureTimes))
		}
		if d := c.Stats().Dials; d != 6 {
			t.Errorf("Dials = %d, want 6: no storm, the schedule is kept", d)
		}
		want := []time.Duration{0, 1 * time.Second, 3 * time.Second, 7 * time.Second,
			15 * time.Second, 31 * time.Second}
		if !equalDurations(tl.attemptTimes, want) {
			t.Errorf("attempts at %v, want %v", tl.attemptTimes, want)
		}
	})
}

func TestQueueTTLExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg := pipeServer(t, testutil.WSServerConfig{})
		srv.Stop()
		cfg.Backoff = Unlimited()
		cfg.QueueTTL = 10 * time.Second
		c := startClient(t, cfg)
		start := time.Now()
		r := c.SendAsync(websocket.TextMessage, []byte("late"))
		<-r.Done()
		if waited := time.Since(start); waited != 10*time.Second {
			t.Errorf("message expired after %v, want 10s", waited)
		}
		if r.Outcome() != OutcomeExpired || !errors.Is(r.Err(), ErrExpired) {
			t.Errorf("receipt = %v, %v; want expired, ErrExpired", r.Outcome(), r.Err())
		}

		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start = time.Now()
		err := c.Send(ctx, websocket.TextMessage, []byte("bounded"))
		if !errors.Is(err, ErrExpired) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send = %v, want ErrExpired and DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("Send returned after %v, want 3s", waited)
		}
		st := c.Stats()
		if st.MessagesExpired != 2 || st.QueueLength != 0 {
			t.Errorf("Stats = %+v, want 2 expired and an empty queue", st)
		}
	})
}

func TestStatsLastRTT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A server whose pongs take 40 ms, which fake time makes exact.
		network := new(testutil.PipeNetwork)
		ln, err := network.Listen("")
		if err != nil {
			t.Fatal(err)
		}
		upgrader := websocket.Upgrader{}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, err := upgrader.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			conn.SetPingHandler(func(data string) error {
				time.Sleep(40 * time.Millisecond)
				return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			})
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		})}
		go srv.Serve(ln)
		defer srv.Close()

		c := startClient(t, Config{URL: "ws://" + ln.Addr().String() + "/",
			Dialer: pipeDialer(network), PingInterval: time.Second, ReadTimeout: 5 * time.Second})
		c.WaitConnected(context.Background())
		time.Sleep(1500 * time.Millisecond)
		if rtt := c.Stats().LastRTT; rtt != 40*time.Millisecond {
			t.Errorf("LastRTT = %v, want 40ms", rtt)
		}
		c.Close(context.Background())
	})
}
