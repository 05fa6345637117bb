package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
)

// Manager holds the grants of one user and decides every check against
// them. It is safe for concurrent use. [Manager.Check] reads an immutable
// table through an atomic pointer and takes no lock; changes are
// serialised by a mutex and replace the table whole.
type Manager struct {
	cfg   Config
	clock clock.Clock
	store *store // nil keeps grants in memory only

	state  atomic.Pointer[table]
	anchor atomic.Pointer[anchor]

	// mu serialises every change of state and anchor, and guards the
	// fields below it.
	mu      sync.Mutex
	version uint64 // bumped on every change of state
	lastEnd uint64 // version at which a grant last ended

	// writing serialises file writes and guards the fields below it: a
	// writer sends to it before writing and receives after. It is a channel
	// rather than a mutex so that waiting for a slow write counts as
	// durably blocked under testing/synctest. It is taken before mu, never
	// after.
	writing      chan struct{}
	written      uint64 // version last written to the file
	staleRemoved bool   // the file was deleted because it listed ended grants

	degraded atomic.Bool
	retryAt  atomic.Int64 // monotonic time of the next write while degraded
	statusMu sync.Mutex   // guards storeErr and load
	storeErr error
	load     StoreEvent

	notify    *notifier
	wake      chan struct{} // capacity 1: wakes the loop
	done      chan struct{} // closed by Close
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
}

// anchor pairs a wall-clock and a monotonic reading taken together, from
// which the expected wall-clock time of any later monotonic reading
// follows.
type anchor struct {
	wall int64 // Unix nanoseconds
	mono time.Duration
}

// New returns a manager for cfg. When cfg.Path is set, it reads the grant
// file first. A file that fails any check loads zero grants and is moved
// aside. A file that cannot be read loads zero grants and leaves the
// manager degraded. [Manager.Status] and the OnStore hook report the
// outcome. New starts the background expiry loop, which [Manager.Close]
// stops.
func New(cfg Config) (*Manager, error) {
	return newManager(cfg, clock.System(), nil)
}

func newManager(cfg Config, clk clock.Clock, fault faultFunc) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:     cfg,
		clock:   clk,
		notify:  newNotifier(cfg.Logger, cfg.Hooks.OnRegrant),
		wake:    make(chan struct{}, 1),
		writing: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	wall, mono := clk.Now()
	m.anchor.Store(&anchor{wall: wall.UnixNano(), mono: mono})
	m.state.Store(emptyTable)
	if cfg.Path != "" {
		m.store = &store{path: cfg.Path, key: cfg.Key, retry: cfg.Retry, fault: fault}
		m.open(wall.UnixNano(), mono)
	}
	m.wg.Add(2)
	go m.notify.run(m.done, &m.wg)
	go m.run()
	return m, nil
}

// Grant permits scope for ttl, capped at Config.MaxTTL, and returns the
// grant as committed. The grant ends at whichever comes first of its
// wall-clock and monotonic deadlines. Grant writes the file before it
// returns; when the write fails the grant still holds in memory and the
// store reports degraded.
func (m *Manager) Grant(ctx context.Context, scope Scope, ttl time.Duration) (Grant, error) {
	if err := m.usable(ctx); err != nil {
		return Grant{}, err
	}
	if err := scope.validate(); err != nil {
		return Grant{}, err
	}
	if ttl <= 0 {
		return Grant{}, fmt.Errorf("%w: %v is not positive", ErrInvalidTTL, ttl)
	}
	ttl = min(ttl, m.cfg.MaxTTL)
	id := newID()
	wall, mono := m.lockNow()
	r := &record{
		id:      id,
		scope:   scope,
		match:   compile(scope.Resource),
		granted: wall,
		wallExp: addSat(wall, int64(ttl)),
		monoExp: addSat(mono, ttl),
	}
	if m.closed.Load() {
		m.mu.Unlock()
		return Grant{}, ErrClosed
	}
	m.state.Store(m.state.Load().withRecord(r))
	m.version++
	m.mu.Unlock()

	m.wakeLoop()
	m.persist()
	return m.committed(r, false)
}

// Extend renews the live grant id so that it ends ttl from now, capped at
// Config.MaxTTL. A grant that has ended stays ended: extending it returns
// a [*DeniedError] with the reason it ended, or ErrNotFound once it is
// forgotten.
func (m *Manager) Extend(ctx context.Context, id string, ttl time.Duration) (Grant, error) {
	if err := m.usable(ctx); err != nil {
		return Grant{}, err
	}
	if ttl <= 0 {
		return Grant{}, fmt.Errorf("%w: %v is not positive", ErrInvalidTTL, ttl)
	}
	ttl = min(ttl, m.cfg.MaxTTL)
	wall, mono := m.lockNow()
	old, ts := m.state.Load().findID(id)
	switch {
	case ts != nil:
		m.mu.Unlock()
		return Grant{}, &DeniedError{Scope: ts.scope, Reason: ts.reason, GrantID: id}
	case old == nil:
		m.mu.Unlock()
		return Grant{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	case old.expiredAt(wall, mono):
		ends := m.endLocked([]*record{old}, ReasonExpired, wall, mono)
		m.mu.Unlock()
		m.afterEnd(ends)
		m.persist()
		return Grant{}, &DeniedError{Scope: old.scope, Reason: ReasonExpired, GrantID: id}
	}
	r := &record{
		id:      old.id,
		scope:   old.scope,
		match:   old.match,
		granted: old.granted,
		wallExp: addSat(wall, int64(ttl)),
		monoExp: addSat(mono, ttl),
	}
	// The old record leaves without a tombstone and without being marked
	// ended, because the grant itself lives on in r.
	m.state.Store(m.state.Load().without([]*record{old}, nil).withRecord(r))
	m.version++
	m.mu.Unlock()

	m.wakeLoop()
	m.persist()
	return m.committed(r, true)
}

// committed reports a new or renewed grant to OnGrant. A panicking hook
// revokes the grant, so that a failure never leaves access wider than
// Grant reported.
func (m *Manager) committed(r *record, extended bool) (Grant, error) {
	g := r.grant()
	if m.cfg.Hooks.OnGrant == nil {
		return g, nil
	}
	p := callHook(m.cfg.Hooks.OnGrant, GrantEvent{Grant: g, Extended: extended})
	if p == nil {
		return g, nil
	}
	wall, mono := m.now()
	m.mu.Lock()
	// The hook may have extended the grant, which replaced r: end the
	// grant by its id, whichever record holds it now.
	var ends []ended
	if live, _ := m.state.Load().findID(r.id); live != nil {
		ends = m.endLocked([]*record{live}, ReasonInternal, wall, mono)
	}
	m.mu.Unlock()
	m.afterEnd(ends)
	m.persist()
	return Grant{}, fmt.Errorf("%w: OnGrant hook panicked: %v", ErrInternal, p)
}

// Check decides whether scope is allowed now. It allows only when a live
// grant covers scope. Every other outcome denies with its reason, and so
// do an internal failure, a done context and a panicking hook. A grant
// found past its deadline ends on the spot. Check does not allocate on the
// allowing path.
func (m *Manager) Check(ctx context.Context, scope Scope) (d Decision) {
	defer func() {
		if p := recover(); p != nil {
			d = deny(ReasonInternal)
		}
	}()
	d = m.decide(ctx, scope)
	if hook := m.cfg.Hooks.OnDecision; hook != nil {
		if callHook(hook, DecisionEvent{Scope: scope, Decision: d}) != nil {
			d = deny(ReasonInternal)
		}
	}
	return d
}

func (m *Manager) decide(ctx context.Context, scope Scope) Decision {
	if m.closed.Load() {
		return deny(ReasonClosed)
	}
	if ctx.Err() != nil {
		return deny(ReasonCanceled)
	}
	if !validAction(scope.Action) {
		return deny(ReasonInvalidScope)
	}
	wall, mono := m.now()
	if m.cfg.DenyWhenDegraded && m.degraded.Load() {
		return deny(ReasonStoreDegraded)
	}

	t := m.state.Load()
	var expired *record
	endedSeen := false
	for _, r := range t.live[scope.Action] {
		if !r.match.matches(scope.Resource) {
			continue
		}
		if r.ended.Load() {
			endedSeen = true
			continue
		}
		if r.expiredAt(wall, mono) {
			expired = r
			continue
		}
		return Decision{
			Allowed:   true,
			Reason:    ReasonGranted,
			GrantID:   r.id,
			ExpiresAt: time.Unix(0, r.wallExp),
		}
	}
	if expired != nil {
		m.expireOnUse(expired, wall, mono)
		return Decision{Reason: ReasonExpired, GrantID: expired.id}
	}
	if endedSeen {
		// A grant is ending right now and its tombstone is not in t yet.
		// Once the lock is free, the table holds it.
		m.mu.Lock()
		t = m.state.Load()
		m.mu.Unlock()
	}
	for _, ts := range t.ended[scope.Action] {
		if ts.scope.covers(scope.Resource) {
			return Decision{Reason: ts.reason, GrantID: ts.id}
		}
	}
	return deny(ReasonNotGranted)
}

func (m *Manager) expireOnUse(r *record, wall int64, mono time.Duration) {
	m.mu.Lock()
	ends := m.endLocked([]*record{r}, ReasonExpired, wall, mono)
	m.mu.Unlock()
	m.afterEnd(ends)
	m.wakeLoop() // the loop writes the file, so Check never waits on the disk
}

// Ensure is Check returning an error: nil when allowed, otherwise a
// [*DeniedError] that matches ErrPermissionDenied and the sentinel of its
// reason, carries a stable Code, and unwraps to the context's error when
// the context was done.
func (m *Manager) Ensure(ctx context.Context, scope Scope) error {
	d := m.Check(ctx, scope)
	if d.Allowed {
		return nil
	}
	e := &DeniedError{Scope: scope, Reason: d.Reason, GrantID: d.GrantID}
	if d.Reason == ReasonCanceled {
		e.Cause = context.Cause(ctx)
	}
	return e
}

// Revoke ends every live grant whose scope equals scope and returns how
// many ended. A revoked grant never comes back: Extend of it fails, and a
// file write already in flight cannot restore it. Revoke proceeds whatever
// the state of ctx, because a revocation skipped would widen access. After
// Close it still ends the grants and writes the file, then returns
// ErrClosed with the count.
func (m *Manager) Revoke(ctx context.Context, scope Scope) (int, error) {
	if err := scope.validate(); err != nil {
		return 0, err
	}
	return m.revoke(func(r *record) bool { return r.scope == scope })
}

// RevokeAll ends every live grant and returns how many ended. Like Revoke,
// it proceeds whatever the state of ctx and after Close.
func (m *Manager) RevokeAll(ctx context.Context) (int, error) {
	return m.revoke(func(*record) bool { return true })
}

// revoke proceeds even after Close, which has already written the file:
// a revocation skipped would let the grant load again at the next start.
func (m *Manager) revoke(match func(*record) bool) (int, error) {
	wall, mono := m.now()
	m.mu.Lock()
	var rs []*record
	for _, r := range m.state.Load().records() {
		if match(r) {
			rs = append(rs, r)
		}
	}
	ends := m.endLocked(rs, ReasonRevoked, wall, mono)
	m.mu.Unlock()
	m.afterEnd(ends)
	m.persist()
	if m.closed.Load() {
		return len(ends), ErrClosed
	}
	return len(ends), nil
}

// Status returns the manager's current state.
func (m *Manager) Status() Status {
	m.statusMu.Lock()
	defer m.statusMu.Unlock()
	s := Status{
		Degraded: m.degraded.Load(),
		Grants:   m.state.Load().count,
		Load:     m.load,
	}
	if s.Degraded {
		s.Err = m.storeErr
	}
	return s
}

// Close stops the background goroutines, writes the file one last time,
// and returns that write's error. Re-grant requests and log records not
// yet delivered are dropped. After Close every check denies with
// ReasonClosed. Close is idempotent.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed.Store(true)
		m.mu.Unlock()
		close(m.done)
		m.wg.Wait()
		m.closeErr = m.persist()
	})
	return m.closeErr
}

func (m *Manager) usable(ctx context.Context) error {
	if m.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

func (m *Manager) wakeLoop() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never returns an error; it crashes the program instead
	return hex.EncodeToString(b[:])
}

// callHook calls hook with ev and returns the value it panicked with, or
// nil.
func callHook[E any](hook func(E), ev E) (panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	hook(ev)
	return nil
}
