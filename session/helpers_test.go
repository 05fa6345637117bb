package session_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

// testKey authenticates the grant files of tests that reopen them.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// newManager returns a manager on the clock c, closed when the test ends.
func newManager(t *testing.T, cfg session.Config, c clock.Clock) *session.Manager {
	t.Helper()
	return newFaultyManager(t, cfg, c, nil)
}

func newFaultyManager(t *testing.T, cfg session.Config, c clock.Clock,
	fault func(op, path string) error) *session.Manager {
	t.Helper()
	if c == nil {
		c = clock.NewFake()
	}
	m, err := session.NewForTest(cfg, c, fault)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func mustGrant(t *testing.T, m *session.Manager, scope session.Scope, ttl time.Duration) session.Grant {
	t.Helper()
	g, err := m.Grant(context.Background(), scope, ttl)
	if err != nil {
		t.Fatalf("Grant(%v, %v): %v", scope, ttl, err)
	}
	return g
}

func checkReason(t *testing.T, m *session.Manager, scope session.Scope, want session.Reason) {
	t.Helper()
	d := m.Check(context.Background(), scope)
	if d.Reason != want {
		t.Errorf("Check(%v).Reason = %v, want %v", scope, d.Reason, want)
	}
	if d.Allowed != (want == session.ReasonGranted) {
		t.Errorf("Check(%v).Allowed = %v with reason %v", scope, d.Allowed, d.Reason)
	}
}

// recorder collects hook events.
type recorder struct {
	mu       sync.Mutex
	ends     []session.EndEvent
	regrants []session.RegrantRequest
	stores   []session.StoreEvent
	grants   []session.GrantEvent
}

func (r *recorder) hooks() session.Hooks {
	return session.Hooks{
		OnEnd: func(e session.EndEvent) {
			r.mu.Lock()
			r.ends = append(r.ends, e)
			r.mu.Unlock()
		},
		OnRegrant: func(e session.RegrantRequest) {
			r.mu.Lock()
			r.regrants = append(r.regrants, e)
			r.mu.Unlock()
		},
		OnStore: func(e session.StoreEvent) {
			r.mu.Lock()
			r.stores = append(r.stores, e)
			r.mu.Unlock()
		},
		OnGrant: func(e session.GrantEvent) {
			r.mu.Lock()
			r.grants = append(r.grants, e)
			r.mu.Unlock()
		},
	}
}

func (r *recorder) endsCopy() []session.EndEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]session.EndEvent(nil), r.ends...)
}

func (r *recorder) regrantsCopy() []session.RegrantRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]session.RegrantRequest(nil), r.regrants...)
}

func (r *recorder) storeKinds() []session.StoreEventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var kinds []session.StoreEventKind
	for _, e := range r.stores {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// newFakeAt returns a fake clock whose wall clock is moved by offset.
func newFakeAt(offset time.Duration) *clock.Fake {
	c := clock.NewFake()
	c.AdjustWall(offset)
	return c
}
