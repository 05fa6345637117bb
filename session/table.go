package session

import (
	"maps"
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// Grant describes a permission granted for a limited time.
type Grant struct {
	ID        string
	Scope     Scope
	GrantedAt time.Time // wall clock
	ExpiresAt time.Time // wall clock; the monotonic deadline may come first
}

// record is a live grant. Its fields never change after it is published
// in a table, except ended.
type record struct {
	id      string
	scope   Scope
	match   matcher       // compiled scope.Resource
	granted int64         // wall clock, Unix nanoseconds
	wallExp int64         // wall-clock deadline, Unix nanoseconds
	monoExp time.Duration // monotonic deadline
	ended   atomic.Bool   // set, under Manager.mu, before the record leaves the table
}

// addSat returns a + b, or the nearest limit of int64 where the sum would
// overflow, so that a long time to live never wraps into the past.
func addSat[T ~int64](a, b T) T {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

func (r *record) expiredAt(wall int64, mono time.Duration) bool {
	return wall >= r.wallExp || mono >= r.monoExp
}

func (r *record) grant() Grant {
	return Grant{
		ID:        r.id,
		Scope:     r.scope,
		GrantedAt: time.Unix(0, r.granted),
		ExpiresAt: time.Unix(0, r.wallExp),
	}
}

// tombstone is an ended grant, kept so that checks report why the scope is
// denied and so that nothing can bring the grant back.
type tombstone struct {
	id       string
	scope    Scope
	reason   Reason
	wallExp  int64         // the grant's original wall-clock deadline
	keepMono time.Duration // drop after this monotonic time
	keepWall int64         // the same on the wall clock, for the file
}

// table is an immutable view of the grants, replaced whole on every
// change so that Check reads it without a lock.
type table struct {
	live  map[string][]*record    // by action
	ended map[string][]*tombstone // by action
	count int                     // live grants
}

var emptyTable = &table{}

func (t *table) withRecord(r *record) *table {
	next := &table{live: maps.Clone(t.live), ended: t.ended, count: t.count + 1}
	if next.live == nil {
		next.live = make(map[string][]*record)
	}
	next.live[r.scope.Action] = append(slices.Clip(t.live[r.scope.Action]), r)
	return next
}

// without returns the table without the given records, with a tombstone
// for each. The caller holds Manager.mu and has set each record's ended.
func (t *table) without(ended []*record, tombs []*tombstone) *table {
	next := &table{live: maps.Clone(t.live), ended: maps.Clone(t.ended), count: t.count}
	if next.ended == nil {
		next.ended = make(map[string][]*tombstone)
	}
	for _, r := range ended {
		action := r.scope.Action
		next.live[action] = slices.DeleteFunc(slices.Clone(next.live[action]),
			func(x *record) bool { return x == r })
		if len(next.live[action]) == 0 {
			delete(next.live, action)
		}
		next.count--
	}
	for _, ts := range tombs {
		action := ts.scope.Action
		next.ended[action] = append(slices.Clip(next.ended[action]), ts)
	}
	return next
}

// pruned returns the table without tombstones kept past mono, or t itself
// when none is due.
func (t *table) pruned(mono time.Duration) *table {
	due := false
	for _, list := range t.ended {
		for _, ts := range list {
			due = due || mono >= ts.keepMono
		}
	}
	if !due {
		return t
	}
	next := &table{live: t.live, ended: make(map[string][]*tombstone), count: t.count}
	for action, list := range t.ended {
		kept := slices.DeleteFunc(slices.Clone(list),
			func(ts *tombstone) bool { return mono >= ts.keepMono })
		if len(kept) > 0 {
			next.ended[action] = kept
		}
	}
	return next
}

func (t *table) records() []*record {
	var all []*record
	for _, list := range t.live {
		all = append(all, list...)
	}
	return all
}

// contains reports whether r is a live record of t.
func (t *table) contains(r *record) bool {
	for _, x := range t.live[r.scope.Action] {
		if x == r {
			return true
		}
	}
	return false
}

func (t *table) findID(id string) (*record, *tombstone) {
	for _, list := range t.live {
		for _, r := range list {
			if r.id == id {
				return r, nil
			}
		}
	}
	for _, list := range t.ended {
		for _, ts := range list {
			if ts.id == id {
				return nil, ts
			}
		}
	}
	return nil, nil
}

// nextDeadline returns the earliest monotonic deadline of a live grant.
func (t *table) nextDeadline() (time.Duration, bool) {
	var next time.Duration
	found := false
	for _, list := range t.live {
		for _, r := range list {
			if !found || r.monoExp < next {
				next, found = r.monoExp, true
			}
		}
	}
	return next, found
}
