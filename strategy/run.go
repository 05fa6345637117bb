package strategy

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// run is the state of one call to Plan.Run. Only the goroutine that
// called Run touches it. The Result lives in the same allocation.
type run struct {
	plan   *Plan
	res    *Result
	result Result
}

// Run executes the plan's steps in order and returns the account of what
// happened. The error is nil when the plan reached its end, even if steps
// under [PolicyContinue] failed or were skipped. Otherwise it is a
// [*PlanError], and the steps that acted have been rolled back. A call
// with a context that is already done runs no step.
//
// Run returns only after every attempt and undo it started has returned
// or been abandoned; see [Result.Running] for the abandoned ones.
func (p *Plan) Run(ctx context.Context) (*Result, error) {
	r := &run{plan: p}
	r.res = &r.result
	r.res.Steps = make([]StepResult, len(p.steps))
	for i := range p.steps {
		r.res.Steps[i].Name = p.steps[i].Name
	}
	// Only EventPlanEnd needs the plan's elapsed time, so the clock is read
	// only when events are observed.
	var start time.Time
	if p.cfg.OnEvent != nil {
		start = time.Now()
	}
	r.emit(Event{Kind: EventPlanStart})

	stopped := -1
	var cause error
	if ctx.Err() != nil {
		cause = context.Cause(ctx)
	} else {
		for i := range p.steps {
			if cause = r.runStep(ctx, i); cause != nil {
				stopped = i
				break
			}
		}
	}

	var err error
	if cause != nil {
		pe := &PlanError{Index: stopped, Err: cause}
		if stopped >= 0 {
			pe.Step = p.steps[stopped].Name
			r.rollback(ctx, stopped)
		}
		pe.Undos = r.res.Undos
		for _, u := range pe.Undos {
			if u.Outcome != OutcomeSucceeded {
				pe.UndoFailed++
			}
		}
		err = pe
	}
	r.res.Err = err
	if p.cfg.OnEvent != nil {
		r.emit(Event{Kind: EventPlanEnd, Err: err, Elapsed: time.Since(start)})
	}
	return r.res, err
}

func (r *run) emit(e Event) {
	if r.plan.cfg.OnEvent != nil {
		e.Plan = r.plan.cfg.Name
		r.plan.cfg.OnEvent(e)
	}
}

// stepEvent returns an event of kind k about step i.
func (r *run) stepEvent(k EventKind, i int) Event {
	st := &r.plan.steps[i]
	return Event{Kind: k, Step: st.Name, Index: i, StepKind: st.Kind, Target: st.Target}
}

// probe runs Config.Probe and returns the environment change it reports,
// or nil. An error while ctx is done is left to the caller's check of ctx.
func (r *run) probe(ctx context.Context) error {
	if r.plan.cfg.Probe == nil {
		return nil
	}
	err := r.plan.cfg.Probe(ctx)
	if err == nil || ctx.Err() != nil {
		return nil
	}
	if isEnvironmentChange(err) {
		return err
	}
	return &EnvironmentChangedError{Err: err}
}

// stepRun is the state of one step within a run.
type stepRun struct {
	r  *run
	i  int
	st *Step
	sr *StepResult

	order     []int  // strategy indices in the order to try; nil: as given
	tried     uint64 // bit k set: strategy k failed and is not retried
	remaining time.Duration
	attempts  int
	lastErr   error
	timedOut  bool // EventTimeout was emitted
}

// runStep runs step i and returns a non-nil error when the plan must
// abort.
func (r *run) runStep(ctx context.Context, i int) error {
	s := stepRun{r: r, i: i, st: &r.plan.steps[i], sr: &r.res.Steps[i]}
	s.remaining = s.st.Timeout
	r.emit(r.stepEvent(EventStepStart, i))
	if rk := r.plan.cfg.Ranker; rk != nil {
		s.order, s.sr.Order, s.sr.Reranked = rk.order(s.st)
	}
	err := s.loop(ctx)
	e := r.stepEvent(EventStepEnd, i)
	e.Status, e.Err, e.Elapsed = s.sr.Status, s.sr.Err, s.sr.Elapsed
	r.emit(e)
	return err
}

// loop tries strategies until one succeeds or the step ends otherwise.
func (s *stepRun) loop(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return s.abort(context.Cause(ctx))
		}
		k := s.next()
		if k < 0 {
			return s.fail(nil)
		}
		if s.remaining <= 0 {
			return s.timeout()
		}
		if env := s.r.probe(ctx); env != nil {
			if end, err := s.pause(ctx, "", env); end {
				return err
			}
			continue
		}
		strat := s.st.Strategies[k]
		if err := s.ready(ctx, k, strat); err != nil {
			if !isEnvironmentChange(err) {
				continue
			}
			if end, err := s.pause(ctx, strat.Name(), err); end {
				return err
			}
			continue
		}
		if err := s.r.awaitTarget(ctx, s.st.Target); err != nil {
			if ctx.Err() != nil {
				return s.abort(err)
			}
			return s.fail(err)
		}
		// Ready may have used up the step's time or outlived the plan's
		// context, and Execute must not start after either.
		if ctx.Err() != nil {
			return s.abort(context.Cause(ctx))
		}
		if s.remaining <= 0 {
			return s.timeout()
		}
		if end, err := s.attempt(ctx, k, strat); end {
			return err
		}
	}
}

// next returns the index of the next strategy to try, or -1 if every
// strategy has failed.
func (s *stepRun) next() int {
	if s.order == nil {
		for k := range s.st.Strategies {
			if s.tried&(1<<k) == 0 {
				return k
			}
		}
		return -1
	}
	for _, k := range s.order {
		if s.tried&(1<<k) == 0 {
			return k
		}
	}
	return -1
}

// ready calls the strategy's Ready, if any, and returns nil when the
// strategy may execute. It records a strategy that is not ready and
// marks it failed, unless the reason is an environment change, which
// pauses the step instead.
func (s *stepRun) ready(ctx context.Context, k int, strat Strategy) error {
	rd, ok := strat.(Readier)
	if !ok {
		return nil
	}
	start := time.Now()
	err := callReady(ctx, rd)
	elapsed := time.Since(start)
	s.remaining -= elapsed
	s.sr.Elapsed += elapsed
	if err == nil {
		return nil
	}
	s.attempts++
	a := Attempt{Strategy: strat.Name(), Outcome: OutcomeNotReady, Err: err, Elapsed: elapsed}
	s.sr.Attempts = append(s.sr.Attempts, a)
	s.emitEnd(a)
	if !isEnvironmentChange(err) {
		s.failed(k, a)
	}
	return err
}

// callReady calls rd.Ready and returns a panic in it as a *PanicError, so
// that a strategy that panics is not ready instead of ending Run.
func callReady(ctx context.Context, rd Readier) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return rd.Ready(ctx)
}

// attempt runs strategy k once and applies its outcome. It reports true
// with the error runStep returns when the step has ended.
func (s *stepRun) attempt(ctx context.Context, k int, strat Strategy) (bool, error) {
	s.attempts++
	a := s.r.execute(ctx, s, strat)
	s.remaining -= a.Elapsed
	s.sr.Elapsed += a.Elapsed
	s.sr.Attempts = append(s.sr.Attempts, a)
	rk := s.r.plan.cfg.Ranker

	switch a.Outcome {
	case OutcomeSucceeded:
		if rk != nil {
			rk.record(s.st.Kind, a.Strategy, true)
		}
		s.sr.Status = StepSucceeded
		s.sr.Winner = a.Strategy
		return true, nil
	case OutcomeFailed, OutcomeVerifyFailed:
		if rk != nil {
			rk.record(s.st.Kind, a.Strategy, false)
		}
		s.failed(k, a)
		return false, nil
	case OutcomeTimedOut:
		if rk != nil {
			rk.record(s.st.Kind, a.Strategy, false)
		}
		s.lastErr = a.Err
		return true, s.timeout()
	case OutcomeInterrupted:
		return s.pause(ctx, a.Strategy, a.Err)
	default:
		return true, s.abort(a.Err)
	}
}

// failed marks strategy k as failed and announces the fallback, if any.
func (s *stepRun) failed(k int, a Attempt) {
	s.tried |= 1 << k
	s.lastErr = a.Err
	if n := s.next(); n >= 0 && s.remaining > 0 {
		e := s.event(EventFallback, a.Strategy)
		e.Next = s.st.Strategies[n].Name()
		e.Err = a.Err
		s.r.emit(e)
	}
}

func (s *stepRun) event(k EventKind, strategy string) Event {
	e := s.r.stepEvent(k, s.i)
	e.Strategy = strategy
	e.Attempt = s.attempts
	return e
}

func (s *stepRun) emitEnd(a Attempt) {
	e := s.event(EventAttemptEnd, a.Strategy)
	e.Outcome, e.Err, e.Elapsed = a.Outcome, a.Err, a.Elapsed
	s.r.emit(e)
}

// fail ends the step as failed, with cause when it is not that every
// strategy failed, and applies the step's policy.
func (s *stepRun) fail(cause error) error {
	s.sr.Status = StepFailed
	s.sr.Err = &StepError{Step: s.st.Name, Index: s.i, Attempts: s.attempts,
		Elapsed: s.sr.Elapsed, Err: s.lastErr, Cause: cause}
	if s.st.abort() {
		return s.sr.Err
	}
	return nil
}

// timeout ends the step as timed out and applies the step's policy.
func (s *stepRun) timeout() error {
	if !s.timedOut {
		s.timedOut = true
		e := s.event(EventTimeout, "")
		e.Elapsed = s.sr.Elapsed
		s.r.emit(e)
	}
	s.sr.Status = StepTimedOut
	s.sr.Err = &StepError{Step: s.st.Name, Index: s.i, Attempts: s.attempts, TimedOut: true,
		Elapsed: s.sr.Elapsed, Err: s.lastErr, Cause: context.DeadlineExceeded}
	if s.st.abort() {
		return s.sr.Err
	}
	return nil
}

// abort ends the step because the plan stops, with cause as the reason.
func (s *stepRun) abort(cause error) error {
	s.sr.Status = StepAborted
	s.sr.Err = cause
	return cause
}

// pause prompts for a decision after the environment change env. It
// reports true with the error runStep returns when the step has ended.
func (s *stepRun) pause(ctx context.Context, strategy string, env error) (bool, error) {
	e := s.event(EventPause, strategy)
	e.Err = env
	s.r.emit(e)

	start := time.Now()
	d, err := DecisionAbort, error(nil)
	// A plan whose context is already done aborts without prompting.
	if p := s.r.plan.cfg.Prompter; p != nil && ctx.Err() == nil {
		d, err = p.Prompt(ctx, PauseInfo{Step: s.st.Name, Index: s.i, Strategy: strategy, Err: env})
	}
	paused := time.Since(start)
	s.sr.Paused += paused
	switch {
	case ctx.Err() != nil:
		d, err = DecisionAbort, context.Cause(ctx)
	case err != nil:
		d = DecisionAbort
	case d < DecisionAbort || d > DecisionSkip:
		d, err = DecisionAbort, fmt.Errorf("strategy: prompter returned unknown decision %d", int(d))
	}

	e = s.event(EventResume, strategy)
	e.Decision, e.Err, e.Elapsed = d, err, paused
	s.r.emit(e)

	switch d {
	case DecisionResume:
		return false, nil
	case DecisionRetry:
		s.tried = 0
		s.remaining = s.st.Timeout
		s.timedOut = false
		s.sr.Retries++
		return false, nil
	case DecisionSkip:
		s.sr.Status = StepSkipped
		return true, nil
	}
	if err != nil {
		return true, s.abort(errors.Join(err, env))
	}
	return true, s.abort(env)
}
