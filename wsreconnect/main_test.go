package wsreconnect

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/internal/testutil"
	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder collects a client's hook events in the order they arrive.
type recorder struct {
	mu          sync.Mutex
	states      []StateEvent
	attempts    []AttemptEvent
	connects    []ConnectEvent
	disconnects []DisconnectEvent
	failures    []GiveUpEvent
	changed     chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

// hook installs the recorder's hooks in cfg.
func (r *recorder) hook(cfg *Config) {
	cfg.OnStateChange = func(e StateEvent) { r.add(func() { r.states = append(r.states, e) }) }
	cfg.OnAttempt = func(e AttemptEvent) { r.add(func() { r.attempts = append(r.attempts, e) }) }
	cfg.OnSuccess = func(e ConnectEvent) { r.add(func() { r.connects = append(r.connects, e) }) }
	cfg.OnDisconnect = func(e DisconnectEvent) { r.add(func() { r.disconnects = append(r.disconnects, e) }) }
	cfg.OnFailure = func(e GiveUpEvent) { r.add(func() { r.failures = append(r.failures, e) }) }
}

func (r *recorder) add(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitFor blocks until cond holds for the recorder, evaluated after every
// event, or fails the test after a generous real-time limit.
func (r *recorder) waitFor(t *testing.T, what string, cond func(r *recorder) bool) {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		r.mu.Lock()
		ok, changed := cond(r), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			snap := r.snapshot()
			t.Fatalf("timed out waiting for %s; attempts %+v, disconnects %+v, failures %+v",
				what, snap.attempts, snap.disconnects, snap.failures)
		}
	}
}

func (r *recorder) snapshot() recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recorder{
		states:      append([]StateEvent(nil), r.states...),
		attempts:    append([]AttemptEvent(nil), r.attempts...),
		connects:    append([]ConnectEvent(nil), r.connects...),
		disconnects: append([]DisconnectEvent(nil), r.disconnects...),
		failures:    append([]GiveUpEvent(nil), r.failures...),
	}
}

// fixed returns a schedule of n retries, each waiting d, without jitter.
func fixed(t testing.TB, d time.Duration, n int) backoff.Schedule {
	t.Helper()
	p, err := backoff.New(backoff.Config{Kind: backoff.KindConstant, Initial: d, MaxRetries: n})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newServer(t testing.TB, cfg testutil.WSServerConfig) *testutil.WSServer {
	t.Helper()
	s, err := testutil.NewWSServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// newClient starts a client and closes it when the test ends.
func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pipeDialer returns a dialer that connects over network's pipes.
func pipeDialer(network *testutil.PipeNetwork) *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: network.DialContext}
}
