package strategy

import (
	"context"
	"time"
)

// rollback undoes, in reverse order, the steps up to last that may have
// acted. The undos run under a context that keeps ctx's values but not
// its cancellation, each with its own Config.UndoTimeout.
func (r *run) rollback(ctx context.Context, last int) {
	detached := context.WithoutCancel(ctx)
	for i := last; i >= 0; i-- {
		sr := &r.res.Steps[i]
		if !sr.acted() {
			continue
		}
		st := &r.plan.steps[i]
		if st.Undo != nil {
			r.undo(detached, i, "", st.Undo)
			continue
		}
		var undone uint64
		for j := len(sr.Attempts) - 1; j >= 0; j-- {
			a := &sr.Attempts[j]
			k := st.strategyIndex(a.Strategy)
			if !a.Acted || k < 0 || undone&(1<<k) != 0 {
				continue
			}
			undone |= 1 << k
			if u, ok := st.Strategies[k].(Undoer); ok {
				r.undo(detached, i, a.Strategy, u.Undo)
			}
		}
	}
}

// strategyIndex returns the index of the strategy named name, or -1.
func (s *Step) strategyIndex(name string) int {
	for k, st := range s.Strategies {
		if st.Name() == name {
			return k
		}
	}
	return -1
}

// undo runs one undo of step i after the abandoned work on its target has
// returned, and records its outcome.
func (r *run) undo(ctx context.Context, i int, strategy string, fn func(context.Context) error) {
	st := &r.plan.steps[i]
	e := r.stepEvent(EventUndoStart, i)
	e.Strategy = strategy
	r.emit(e)

	u := UndoResult{Step: st.Name, Index: i, Strategy: strategy}
	start := time.Now()
	uctx, cancel := context.WithTimeoutCause(ctx, r.plan.cfg.UndoTimeout, ErrUndoTimeout)
	defer cancel()
	if err := r.awaitTarget(uctx, st.Target); err != nil {
		u.Outcome, u.Err = OutcomeFailed, err
		if uctx.Err() != nil {
			u.Outcome = OutcomeTimedOut
		}
	} else {
		r.runUndo(ctx, uctx, cancel, &u, fn)
	}
	u.Elapsed = time.Since(start)
	r.res.Undos = append(r.res.Undos, u)

	e = r.stepEvent(EventUndoEnd, i)
	e.Strategy, e.Outcome, e.Err, e.Elapsed = strategy, u.Outcome, u.Err, u.Elapsed
	r.emit(e)
}

// runUndo runs fn on its own goroutine under uctx and classifies how it
// ended, abandoning it when it ignores the end of uctx.
func (r *run) runUndo(ctx, uctx context.Context, cancel context.CancelFunc,
	u *UndoResult, fn func(context.Context) error) {
	done := make(chan jobResult, 1)
	go runUndo(uctx, fn, done)
	w := r.await(ctx, uctx, time.Now(), done, false)
	cancel()
	if !w.returned {
		w.res, w.returned = r.grace(done)
	}
	switch {
	case w.stop == stopReturned && w.res.err == nil:
		u.Outcome = OutcomeSucceeded
	case w.stop == stopReturned && context.Cause(uctx) != ErrUndoTimeout:
		u.Outcome, u.Err = OutcomeFailed, w.res.err
	default:
		u.Outcome, u.Err = OutcomeTimedOut, ErrUndoTimeout
		if w.returned && w.res.err != nil {
			u.Err = w.res.err
		}
	}
	if !w.returned {
		st := &r.plan.steps[u.Index]
		u.Abandoned = true
		r.track(&pending{step: st.Name, name: "undo", target: st.Target, done: done})
		e := r.stepEvent(EventAbandon, u.Index)
		e.Strategy, e.Elapsed = u.Strategy, w.elapsed
		r.emit(e)
	}
}
