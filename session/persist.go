package session

import (
	"errors"
	"io/fs"
	"log/slog"
	"time"
)

// open reads the key and the grant file at start. Every failure loads zero
// grants: a file that fails a check is moved aside, and an I/O error
// leaves the store degraded.
func (m *Manager) open(wall int64, mono time.Duration) {
	s := m.store
	if len(s.key) == 0 {
		key, rejected, err := s.loadKey()
		s.key = key
		if rejected != nil {
			m.reject(s.path+".key", rejected, "")
		}
		if err != nil {
			s.keyUnsaved = true
			m.openFailed(err)
			return
		}
	}

	s.removeTempFiles()
	data, err := s.readSecure(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		m.recordLoad(StoreEvent{Kind: StoreLoaded, Path: s.path})
		return
	}
	var p *payload
	if err == nil {
		p, err = decode(s.key, data)
	}
	if err == nil && p.Written.UnixNano() > addSat(wall, int64(m.cfg.ClockTolerance)) {
		err = &rejectError{RejectClockUncertain, errors.New("the file was written later than now")}
	}
	var reject *rejectError
	if errors.As(err, &reject) {
		movedTo, moveErr := s.moveAside(s.path)
		if moveErr != nil {
			movedTo = ""
		}
		m.recordLoad(m.reject(s.path, err, movedTo))
		return
	}
	if err != nil {
		m.openFailed(err)
		return
	}
	t := m.restore(p, wall, mono)
	m.state.Store(t)
	m.version = p.Version
	m.written = p.Version
	m.recordLoad(StoreEvent{Kind: StoreLoaded, Path: s.path, Grants: t.count})
}

// openFailed leaves the store degraded after an I/O error at start. The
// background loop tries to write the file again at its first tick.
func (m *Manager) openFailed(err error) {
	ev := m.degrade(err, false)
	m.recordLoad(*ev)
	m.storeEvent(*ev)
}

// restore builds the table from a decoded file, dropping expired grants
// and capping what is left of each at MaxTTL and at its original time to
// live. Grants loaded from a file
// have no monotonic deadline of their own, so they get one from what is
// left of their wall-clock time.
func (m *Manager) restore(p *payload, wall int64, mono time.Duration) *table {
	t := emptyTable
	endedIDs := make(map[string]bool)
	var tombs []*tombstone
	for _, e := range p.Ended {
		left := time.Duration(e.KeepUntil.UnixNano() - wall)
		if left <= 0 {
			continue
		}
		left = min(left, m.cfg.MaxTTL)
		endedIDs[e.ID] = true
		tombs = append(tombs, &tombstone{
			id:       e.ID,
			scope:    Scope{Action: e.Action, Resource: e.Resource},
			reason:   parseReason(e.Reason),
			wallExp:  e.ExpiresAt.UnixNano(),
			keepMono: addSat(mono, left),
			keepWall: addSat(wall, int64(left)),
		})
	}
	if len(tombs) > 0 {
		t = t.without(nil, tombs)
	}
	for _, g := range p.Grants {
		left := time.Duration(g.ExpiresAt.UnixNano() - wall)
		if left <= 0 || endedIDs[g.ID] || g.GrantedAt.UnixNano() > addSat(wall, int64(m.cfg.ClockTolerance)) {
			continue
		}
		left = min(left, m.cfg.MaxTTL, g.ExpiresAt.Sub(g.GrantedAt))
		t = t.withRecord(&record{
			id:      g.ID,
			scope:   Scope{Action: g.Action, Resource: g.Resource},
			match:   compile(g.Resource),
			granted: g.GrantedAt.UnixNano(),
			wallExp: addSat(wall, int64(left)),
			monoExp: addSat(mono, left),
		})
	}
	return t
}

func parseReason(s string) Reason {
	for r := ReasonExpired; r < reasonCount; r++ {
		if r.String() == s {
			return r
		}
	}
	return ReasonRevoked
}

// reject reports a rejected file and returns the event.
func (m *Manager) reject(path string, err error, movedTo string) StoreEvent {
	var reject *rejectError
	errors.As(err, &reject)
	ev := StoreEvent{Kind: StoreRejected, Path: path, Rejection: reject.rejection, MovedTo: movedTo, Err: err}
	m.notify.log(slog.LevelError, "grant file rejected; loaded zero grants",
		slog.String("event", "store_rejected"),
		slog.String("path", path),
		slog.String("rejection", reject.rejection.String()),
		slog.String("moved_to", movedTo),
		slog.Any("err", err))
	m.storeHook(ev)
	return ev
}

func (m *Manager) recordLoad(ev StoreEvent) {
	m.statusMu.Lock()
	m.load = ev
	m.statusMu.Unlock()
	if ev.Kind == StoreLoaded {
		m.storeHook(ev)
	}
}

func (m *Manager) storeHook(ev StoreEvent) {
	if hook := m.cfg.Hooks.OnStore; hook != nil {
		if p := callHook(hook, ev); p != nil {
			m.notify.log(slog.LevelError, "OnStore hook panicked",
				slog.String("event", "hook_panic"), slog.Any("panic", p))
		}
	}
}

// snapshotLocked returns the file content for the table. The caller holds
// m.mu.
func (m *Manager) snapshotLocked(t *table, wall int64) *payload {
	p := &payload{Version: m.version, Written: time.Unix(0, wall).UTC()}
	for _, list := range t.live {
		for _, r := range list {
			p.Grants = append(p.Grants, fileGrant{
				ID:        r.id,
				Action:    r.scope.Action,
				Resource:  r.scope.Resource,
				GrantedAt: time.Unix(0, r.granted).UTC(),
				ExpiresAt: time.Unix(0, r.wallExp).UTC(),
			})
		}
	}
	for _, list := range t.ended {
		for _, ts := range list {
			p.Ended = append(p.Ended, fileEnded{
				ID:        ts.id,
				Action:    ts.scope.Action,
				Resource:  ts.scope.Resource,
				Reason:    ts.reason.String(),
				ExpiresAt: time.Unix(0, ts.wallExp).UTC(),
				KeepUntil: time.Unix(0, ts.keepWall).UTC(),
			})
		}
	}
	return p
}

// persist writes the current table to the file unless the file already
// holds it. Writes are serialised and each takes its snapshot after the
// previous one finished, so the last write always carries the latest
// version: a write that started before a revocation can never land after
// it. On failure the store degrades, and a file that may still list a
// grant that has since ended is deleted or emptied.
func (m *Manager) persist() error {
	if m.store == nil {
		return nil
	}
	wall, mono := m.now() // before locking: a clock jump calls hooks
	m.writing <- struct{}{}
	m.mu.Lock()
	version, lastEnd := m.version, m.lastEnd
	var p *payload
	if version != m.written || m.degraded.Load() {
		p = m.snapshotLocked(m.state.Load(), wall)
	}
	m.mu.Unlock()
	if p == nil {
		<-m.writing
		return nil
	}

	var err error
	if m.store.keyUnsaved {
		if err = m.store.saveKey(); err == nil {
			m.store.keyUnsaved = false
		}
	}
	var data []byte
	if err == nil {
		data, err = encode(m.store.key, p)
	}
	if err == nil {
		err = m.store.withRetry(func() error { return m.store.writeAtomic(m.store.path, data) })
	}
	var ev *StoreEvent
	if err == nil {
		m.written = version
		m.staleRemoved = false
		if m.degraded.Swap(false) {
			ev = &StoreEvent{Kind: StoreRecovered, Path: m.store.path}
		}
	} else {
		m.retryAt.Store(int64(addSat(mono, m.cfg.RetryInterval)))
		stale := lastEnd > m.written && !m.staleRemoved && m.store.remove() == nil
		m.staleRemoved = m.staleRemoved || stale
		ev = m.degrade(err, stale)
	}
	<-m.writing

	if ev != nil {
		m.storeEvent(*ev)
	}
	return err
}

// persistFromLoop writes the file after changes that no caller wrote, and
// retries while degraded once RetryInterval has passed.
func (m *Manager) persistFromLoop(mono time.Duration) {
	if m.store == nil {
		return
	}
	if m.degraded.Load() && mono < time.Duration(m.retryAt.Load()) {
		return
	}
	m.persist()
}

// degrade records a store failure and returns the event to report when
// the store was not already degraded.
func (m *Manager) degrade(err error, staleRemoved bool) *StoreEvent {
	m.statusMu.Lock()
	m.storeErr = err
	m.statusMu.Unlock()
	if m.degraded.Swap(true) && !staleRemoved {
		return nil
	}
	return &StoreEvent{Kind: StoreDegraded, Path: m.store.path, Err: err, StaleRemoved: staleRemoved}
}

func (m *Manager) storeEvent(ev StoreEvent) {
	switch ev.Kind {
	case StoreDegraded:
		m.notify.log(slog.LevelError, "grant file cannot be written; keeping grants in memory",
			slog.String("event", "store_degraded"),
			slog.String("path", ev.Path),
			slog.Bool("stale_removed", ev.StaleRemoved),
			slog.Any("err", ev.Err))
	case StoreRecovered:
		m.notify.log(slog.LevelInfo, "grant file written again",
			slog.String("event", "store_recovered"),
			slog.String("path", ev.Path))
	}
	m.storeHook(ev)
}
