package strategy

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// jobResult is the report that the goroutine of an attempt or undo sends.
type jobResult struct {
	err       error // from Execute or Undo
	executed  bool  // Execute returned nil
	verifyErr error // from Verify, after Execute returned nil
}

// runStrategy executes s and, when Execute succeeds and s implements
// Verifier, verifies it. It sends the result on done and closes done, so
// that any number of waiters can see that the attempt returned.
func runStrategy(ctx context.Context, s Strategy, done chan<- jobResult) {
	var res jobResult
	returned := false
	defer func() {
		if err := abnormalEnd(returned, recover()); err != nil {
			if res.executed {
				res.verifyErr = err
			} else {
				res.err = err
			}
		}
		done <- res
		close(done)
	}()
	res.err = s.Execute(ctx)
	if res.err == nil {
		res.executed = true
		if v, ok := s.(Verifier); ok {
			res.verifyErr = v.Verify(ctx)
		}
	}
	returned = true
}

// runUndo calls undo like runStrategy calls Execute.
func runUndo(ctx context.Context, undo func(context.Context) error, done chan<- jobResult) {
	var res jobResult
	returned := false
	defer func() {
		if err := abnormalEnd(returned, recover()); err != nil {
			res.err = err
		}
		done <- res
		close(done)
	}()
	res.err = undo(ctx)
	returned = true
}

// errGoexit is the error of a function that called runtime.Goexit, as
// t.FailNow does, instead of returning.
var errGoexit = errors.New("strategy: function called runtime.Goexit instead of returning")

// abnormalEnd returns the error of a function that did not return:
// a *PanicError for a panic with value v, or errGoexit when v is nil,
// because only runtime.Goexit ends a function without a return or a
// panic. It returns nil when the function returned. Call it with
// recover() from the deferred function itself.
func abnormalEnd(returned bool, v any) error {
	switch {
	case v != nil:
		return &PanicError{Value: v, Stack: debug.Stack()}
	case !returned:
		return errGoexit
	}
	return nil
}

// stopReason is the event that ended await.
type stopReason int

const (
	stopReturned    stopReason = iota // the job returned
	stopDeadline                      // the job's own deadline passed
	stopCanceled                      // the plan's context was done
	stopInterrupted                   // the probe reported a change
)

// waited is the observation of await.
type waited struct {
	res      jobResult
	returned bool
	stop     stopReason
	env      error         // the probe's error for stopInterrupted
	elapsed  time.Duration // until await stopped waiting
}

// await waits until the job reports on done, jobCtx is done, or, when
// probe is set and Config.ProbeInterval is not zero, the probe reports
// an environment change. ctx is the plan's context, the parent of jobCtx.
func (r *run) await(ctx, jobCtx context.Context, start time.Time,
	done <-chan jobResult, probe bool) waited {
	var tick <-chan time.Time
	if probe && r.plan.cfg.Probe != nil && r.plan.cfg.ProbeInterval > 0 {
		t := time.NewTicker(r.plan.cfg.ProbeInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case res := <-done:
			return waited{res: res, returned: true, elapsed: time.Since(start)}
		case <-jobCtx.Done():
			w := waited{stop: stopDeadline, elapsed: time.Since(start)}
			if ctx.Err() != nil {
				w.stop = stopCanceled
			}
			return returnedFirst(done, w)
		case <-tick:
			if env := r.probe(ctx); env != nil {
				w := waited{stop: stopInterrupted, env: env, elapsed: time.Since(start)}
				return returnedFirst(done, w)
			}
		}
	}
}

// returnedFirst returns the job's result if it is already on done, so a
// job that returned while another select case was chosen keeps its own
// outcome, and w otherwise.
func returnedFirst(done <-chan jobResult, w waited) waited {
	select {
	case res := <-done:
		return waited{res: res, returned: true, elapsed: w.elapsed}
	default:
		return w
	}
}

// grace gives a job whose context was cancelled Config.CancelGrace to
// return. It reports false when the job is to be abandoned.
func (r *run) grace(done <-chan jobResult) (jobResult, bool) {
	t := time.NewTimer(r.plan.cfg.CancelGrace)
	defer t.Stop()
	select {
	case res := <-done:
		return res, true
	case <-t.C:
		return jobResult{}, false
	}
}

// pending is an abandoned attempt or undo whose goroutine may still run.
type pending struct {
	step    string
	name    string // the strategy, or "undo of" it
	target  string
	overlap bool
	done    <-chan jobResult // closed when the goroutine returns
}

// finished reports whether the goroutine has returned.
func (p *pending) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// track records an abandoned attempt or undo.
func (r *run) track(p *pending) {
	r.res.pending = append(r.res.pending, p)
	r.res.Abandoned++
}

// awaitTarget waits for every abandoned attempt or undo that acts on
// target and is not safe to overlap, for at most Config.AbandonWait. It
// returns an error matching ErrAttemptRunning when that passes, or the
// cause of ctx when ctx is done first.
func (r *run) awaitTarget(ctx context.Context, target string) error {
	var timer *time.Timer
	for _, p := range r.res.pending {
		if p.overlap || !conflicts(p.target, target) || p.finished() {
			continue
		}
		if timer == nil {
			timer = time.NewTimer(r.plan.cfg.AbandonWait)
			defer timer.Stop()
		}
		select {
		case <-p.done:
		case <-timer.C:
			return fmt.Errorf("%w: %s of step %q after %v",
				ErrAttemptRunning, p.name, p.step, r.plan.cfg.AbandonWait)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// conflicts reports whether work on targets a and b may interfere. An
// empty target may be anything, so it conflicts with every target.
func conflicts(a, b string) bool {
	return a == "" || b == "" || a == b
}

// safeToOverlap reports whether s declares itself safe to overlap.
func safeToOverlap(s Strategy) bool {
	o, ok := s.(Overlapper)
	return ok && o.SafeToOverlap()
}

// execute runs one attempt of strat under the step's remaining time and
// classifies how it ended.
func (r *run) execute(ctx context.Context, s *stepRun, strat Strategy) Attempt {
	a := Attempt{Strategy: strat.Name()}
	r.emit(s.event(EventAttemptStart, a.Strategy))

	start := time.Now()
	actx, cancel := context.WithDeadlineCause(ctx, start.Add(s.remaining), ErrStepTimeout)
	done := make(chan jobResult, 1)
	go runStrategy(actx, strat, done)
	w := r.await(ctx, actx, start, done, true)
	cancel()
	if !w.returned {
		w.res, w.returned = r.grace(done)
	}
	a.Elapsed = w.elapsed
	classify(&a, w, ctx, actx)

	if a.Outcome == OutcomeTimedOut {
		s.timedOut = true
		e := s.event(EventTimeout, a.Strategy)
		e.Elapsed = s.sr.Elapsed + a.Elapsed
		r.emit(e)
	}
	if !w.returned {
		a.Abandoned = true
		r.track(&pending{step: s.st.Name, name: a.Strategy, target: s.st.Target,
			overlap: safeToOverlap(strat), done: done})
		e := s.event(EventAbandon, a.Strategy)
		e.Elapsed = a.Elapsed
		r.emit(e)
	}
	s.emitEnd(a)
	return a
}

// classify sets the outcome, error and Acted of an attempt from what
// await and grace observed.
func classify(a *Attempt, w waited, ctx, actx context.Context) {
	res := w.res
	switch w.stop {
	case stopReturned:
		classifyReturned(a, res, ctx, actx)
		return
	case stopDeadline:
		a.Outcome, a.Err = OutcomeTimedOut, ErrStepTimeout
	case stopCanceled:
		a.Outcome, a.Err = OutcomeCanceled, context.Cause(ctx)
	case stopInterrupted:
		a.Outcome, a.Err = OutcomeInterrupted, w.env
	}
	// The attempt was still running when the plan stopped waiting for it,
	// so it may have acted whatever it returned later.
	a.Acted = true
	if w.stop != stopInterrupted && w.returned && res.err != nil {
		a.Err = res.err
	}
}

func classifyReturned(a *Attempt, res jobResult, ctx, actx context.Context) {
	err := res.err
	if res.executed {
		a.Acted = true
		err = res.verifyErr
	}
	switch {
	case err == nil:
		a.Outcome = OutcomeSucceeded
		return
	case isEnvironmentChange(err):
		// A strategy that noticed the change part way, such as a window
		// closing while it typed, may have acted before it returned.
		a.Outcome, a.Acted = OutcomeInterrupted, true
	case ctx.Err() != nil:
		// A strategy stopped part way may have acted before it returned.
		a.Outcome, a.Acted = OutcomeCanceled, true
	case context.Cause(actx) == ErrStepTimeout:
		// The attempt's context was cancelled before classify, so only
		// its cause shows whether the deadline had passed.
		a.Outcome, a.Acted = OutcomeTimedOut, true
	case res.executed:
		a.Outcome = OutcomeVerifyFailed
	default:
		a.Outcome = OutcomeFailed
	}
	a.Err = err
}

// isEnvironmentChange reports whether err is or wraps an
// *EnvironmentChangedError. It is a function of its own so that the
// target of errors.As is allocated only on this path.
func isEnvironmentChange(err error) bool {
	var ec *EnvironmentChangedError
	return errors.As(err, &ec)
}
