package session

import (
	"log/slog"
	"time"
)

// now reads the clock and, when the wall clock has jumped since the last
// reading, revokes every live grant before returning.
func (m *Manager) now() (wall int64, mono time.Duration) {
	w, mono := m.clock.Now()
	wall = w.UnixNano()
	if m.skew(m.anchor.Load(), wall, mono) != 0 {
		m.onClockJump(wall, mono)
	}
	return wall, mono
}

// lockNow reads the clock like now and returns with m.mu held. It reads
// again when a clock jump was handled between the reading and the lock,
// so deadlines computed from the reading agree with the anchor. After a
// few jumps in a row it gives up and keeps the last reading, whose
// monotonic deadline still bounds any grant.
func (m *Manager) lockNow() (wall int64, mono time.Duration) {
	for range 3 {
		wall, mono = m.now()
		m.mu.Lock()
		if m.skew(m.anchor.Load(), wall, mono) == 0 {
			return wall, mono
		}
		m.mu.Unlock()
	}
	m.mu.Lock()
	return wall, mono
}

// skew returns how far the wall clock is from where the monotonic clock
// puts it, relative to a, or zero when that is within the tolerance: the
// configured ClockTolerance plus one millisecond per second elapsed.
func (m *Manager) skew(a *anchor, wall int64, mono time.Duration) time.Duration {
	elapsed := mono - a.mono
	skew := time.Duration(wall-a.wall) - elapsed
	tolerance := addSat(m.cfg.ClockTolerance, elapsed/1000)
	if skew > tolerance || skew < -tolerance {
		return skew
	}
	return 0
}

// slewing reports whether the wall clock moved away from the monotonic
// clock, since a, by at most one millisecond per second elapsed.
func slewing(a *anchor, wall int64, mono time.Duration) bool {
	elapsed := mono - a.mono
	drift := time.Duration(wall-a.wall) - elapsed
	return drift <= elapsed/1000 && drift >= -elapsed/1000
}

// onClockJump revokes every live grant, since none of their deadlines can
// be trusted, and takes the current reading as the new anchor. A grant
// already past a deadline ends as expired instead.
func (m *Manager) onClockJump(wall int64, mono time.Duration) {
	m.mu.Lock()
	skew := m.skew(m.anchor.Load(), wall, mono)
	if skew == 0 { // another goroutine handled this jump
		m.mu.Unlock()
		return
	}
	ends := m.endLocked(m.state.Load().records(), ReasonClockUncertain, wall, mono)
	// The new anchor is stored after the new table, so a check that reads
	// the new anchor and so skips this function reads the new table too.
	m.anchor.Store(&anchor{wall: wall, mono: mono})
	m.mu.Unlock()

	m.notify.log(slog.LevelError, "wall clock jumped; revoked every grant",
		slog.String("event", "clock_jump"),
		slog.Duration("skew", skew),
		slog.Int("revoked", len(ends)))
	m.afterEnd(ends)
	m.wakeLoop()
}

// ended is a grant that ended and the reason.
type ended struct {
	grant  Grant
	reason Reason
}

// endLocked ends each record still in the table and leaves a tombstone
// for it, kept for MaxTTL so that it outlasts the grant's original
// deadline. A record already past a deadline ends as expired whatever the
// reason given. The caller holds m.mu.
func (m *Manager) endLocked(rs []*record, reason Reason, wall int64, mono time.Duration) []ended {
	var removed []*record
	var tombs []*tombstone
	var ends []ended
	t := m.state.Load()
	for _, r := range rs {
		// A record read without the lock may have been replaced by Extend
		// since: the grant lives on in its successor, so skip it.
		if r.ended.Load() || !t.contains(r) {
			continue
		}
		r.ended.Store(true)
		endReason := reason
		if r.expiredAt(wall, mono) {
			endReason = ReasonExpired
		}
		removed = append(removed, r)
		tombs = append(tombs, &tombstone{
			id:       r.id,
			scope:    r.scope,
			reason:   endReason,
			wallExp:  r.wallExp,
			keepMono: addSat(mono, m.cfg.MaxTTL),
			keepWall: addSat(wall, int64(m.cfg.MaxTTL)),
		})
		ends = append(ends, ended{grant: r.grant(), reason: endReason})
	}
	if len(removed) == 0 {
		return nil
	}
	m.state.Store(m.state.Load().without(removed, tombs))
	m.version++
	m.lastEnd = m.version
	return ends
}

// afterEnd reports ended grants to OnEnd, queues a re-grant request for
// each where granting again helps, and logs them. Call it without locks.
func (m *Manager) afterEnd(ends []ended) {
	for _, e := range ends {
		if hook := m.cfg.Hooks.OnEnd; hook != nil {
			if p := callHook(hook, EndEvent{Grant: e.grant, Reason: e.reason}); p != nil {
				m.notify.log(slog.LevelError, "OnEnd hook panicked",
					slog.String("event", "hook_panic"), slog.Any("panic", p))
			}
		}
		if e.reason.RegrantRequired() {
			m.notify.regrant(RegrantRequest{Scope: e.grant.Scope, GrantID: e.grant.ID, Reason: e.reason})
		}
		level := slog.LevelInfo
		if e.reason != ReasonExpired {
			level = slog.LevelError
		}
		m.notify.log(level, "grant ended",
			slog.String("event", "grant_"+eventName(e.reason)),
			slog.String("scope", e.grant.Scope.String()),
			slog.String("grant", e.grant.ID),
			slog.String("reason", e.reason.String()))
	}
}

func eventName(r Reason) string {
	switch r {
	case ReasonExpired:
		return "expired"
	case ReasonClockUncertain:
		return "revoked_clock"
	case ReasonInternal:
		return "revoked_internal"
	}
	return "revoked"
}

// run is the background loop. It ends grants at their deadlines, looks for
// clock jumps, drops tombstones past their retention, and writes the file
// after changes that no caller wrote and while the store is degraded.
func (m *Manager) run() {
	defer m.wg.Done()
	timer := m.clock.NewTimer(m.untilNextTick())
	defer timer.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-m.wake:
		case <-timer.C():
		}
		m.tick()
		timer.Reset(m.untilNextTick())
	}
}

func (m *Manager) tick() {
	defer func() {
		if p := recover(); p != nil {
			m.notify.log(slog.LevelError, "expiry loop recovered from a panic",
				slog.String("event", "loop_panic"), slog.Any("panic", p))
		}
	}()
	wall, mono := m.now()
	var due []*record
	for _, r := range m.state.Load().records() {
		if r.expiredAt(wall, mono) {
			due = append(due, r)
		}
	}

	m.mu.Lock()
	ends := m.endLocked(due, ReasonExpired, wall, mono)
	if t := m.state.Load(); t.pruned(mono) != t {
		m.state.Store(t.pruned(mono))
		m.version++
	}
	// Follow slow drift, as from a time daemon slewing the clock, so that
	// it never adds up to a jump. Only drift within the slewing allowance
	// moves the anchor: steps within ClockTolerance must add up.
	if a := m.anchor.Load(); slewing(a, wall, mono) {
		m.anchor.Store(&anchor{wall: wall, mono: mono})
	}
	m.mu.Unlock()

	m.afterEnd(ends)
	m.persistFromLoop(mono)
}

// untilNextTick returns the time until the earliest grant deadline, the
// next clock check, or the next write attempt while degraded.
func (m *Manager) untilNextTick() time.Duration {
	_, mono := m.clock.Now()
	d := m.cfg.ClockCheckInterval
	if next, ok := m.state.Load().nextDeadline(); ok {
		d = min(d, next-mono)
	}
	if m.degraded.Load() {
		d = min(d, time.Duration(m.retryAt.Load())-mono)
	}
	return max(d, 0)
}
