package retry

import (
	"context"
	"errors"
	"time"

	"github.com/cowork-ai/resilience/backoff"
)

// Do calls op until it succeeds or a stop condition holds, waiting between
// attempts as the schedule sets (by default [backoff.Network]). It returns
// nil on success and an [*Error] otherwise, or, before any attempt, an
// error wrapping [ErrInvalidOption] when an option is invalid. A nil Option
// is skipped, so options can be chosen conditionally.
//
// Each attempt gets a child of ctx that is canceled when the attempt
// returns. When ctx is already done, op runs zero times. Do cannot stop an
// op that ignores its context: it waits for op to return, even past the
// deadline, the time budget or the attempt timeout. A panic in op or
// in a hook reaches the caller unchanged, after the attempt's context is
// canceled. Do panics if op is nil.
func Do(ctx context.Context, op func(ctx context.Context) error, opts ...Option) error {
	if op == nil {
		panic("retry: Do called with a nil operation")
	}
	c := defaultConfig()
	if len(opts) > 0 {
		for _, o := range opts {
			if o != nil {
				c = o.apply(c)
			}
		}
		if c.err != nil {
			return c.err
		}
	}
	return run(ctx, op, c)
}

// DoValue is [Do] for an operation that returns a value: it returns the
// value of the first successful attempt, or the zero value of T and an
// error. Because the attempt's context is canceled when op returns, a value
// that needs that context afterwards, such as the body of an
// *http.Response, must be read inside op.
func DoValue[T any](ctx context.Context, op func(ctx context.Context) (T, error),
	opts ...Option) (T, error) {
	if op == nil {
		panic("retry: DoValue called with a nil operation")
	}
	var v T
	err := Do(ctx, func(ctx context.Context) error {
		var err error
		v, err = op(ctx)
		return err
	}, opts...)
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// call is the state of one Do call.
type call struct {
	cfg    config          // a copy, since a pointer would move Do's config to the heap
	parent context.Context // the caller's context
	ctx    context.Context // parent, with the time budget if any
	start  time.Time
	seq    backoff.Sequence // started at the first failure
	timer  *time.Timer      // created at the first wait
	probe  bool             // the latest attempt passed the gate as its probe
}

func run(parent context.Context, op func(context.Context) error, cfg config) error {
	if parent.Err() != nil {
		return newContextError(parent, nil, 0, 0)
	}
	c := call{cfg: cfg, parent: parent, ctx: parent, start: time.Now()}
	if cfg.maxElapsed > 0 {
		var cancel context.CancelFunc
		c.ctx, cancel = context.WithTimeoutCause(parent, cfg.maxElapsed, ErrTimeBudgetExhausted)
		defer cancel()
	}
	var err error // of the previous attempt
	for attempt := 1; ; attempt++ {
		if cfg.gate != nil {
			if stop := c.passGate(attempt-1, err); stop != nil {
				return stop
			}
		}
		if attempt == 1 && cfg.budget != nil {
			// Only a call that reaches its first attempt adds load, so only
			// such a call earns retries.
			cfg.budget.deposit()
		}
		err = c.attempt(op)
		if err == nil {
			if c.probe {
				cfg.gate.open(time.Now())
			}
			return nil
		}
		if cfg.gate != nil {
			if hint := RetryAfterOf(err); hint > 0 {
				cfg.gate.close(time.Now(), hint, cfg.maxRetryAfter)
			}
		}
		delay, stop := c.next(attempt, err)
		if stop != nil {
			return stop
		}
		if stop = c.wait(attempt, err, delay); stop != nil {
			return stop
		}
	}
}

// attempt runs op once under a child of the call's context.
func (c *call) attempt(op func(context.Context) error) error {
	timeout := c.cfg.attemptTimeout
	if timeout <= 0 {
		ctx := &attemptContext{parent: c.ctx}
		defer ctx.end()
		return op(ctx)
	}
	deadline := time.Now().Add(timeout)
	if callDeadline, ok := c.ctx.Deadline(); ok && !callDeadline.After(deadline) {
		// The call's deadline or time budget ends the attempt no later than
		// its own timeout would. Leaving it in charge, as WithDeadline does
		// for a later deadline, keeps the result from depending on which of
		// two timers for the same instant fires first.
		ctx, cancel := context.WithCancel(c.ctx)
		defer cancel()
		return op(ctx)
	}
	ctx, cancel := context.WithDeadlineCause(c.ctx, deadline, ErrAttemptTimeout)
	defer cancel()
	err := op(ctx)
	if err != nil && c.ctx.Err() == nil && context.Cause(ctx) == ErrAttemptTimeout {
		err = &attemptTimeoutError{timeout: timeout, err: err}
	}
	return err
}

// next decides, after attempt failed with err, whether to retry and after
// which delay. It returns the error to stop with, or nil to go on.
func (c *call) next(attempt int, err error) (time.Duration, *Error) {
	if c.ctx.Err() != nil {
		return 0, c.contextError(err, attempt)
	}
	var marked *PermanentError
	if errors.As(err, &marked) {
		if err == error(marked) {
			err = marked.Err // return the caller's error without the mark
		}
		return 0, c.stop(ReasonPermanent, err, attempt)
	}
	var timedOut *attemptTimeoutError
	if !errors.As(err, &timedOut) && !c.cfg.retryable(err) {
		return 0, c.stop(ReasonPermanent, err, attempt)
	}

	if c.cfg.maxAttempts > 0 && attempt >= c.cfg.maxAttempts {
		return 0, c.stop(ReasonAttemptsExhausted, err, attempt)
	}
	if c.seq == nil {
		c.seq = c.cfg.schedule.Start()
	}
	delay, ok := c.seq.Next()
	if !ok {
		return 0, c.stop(ReasonAttemptsExhausted, err, attempt)
	}
	delay = max(delay, 0)

	if hint := RetryAfterOf(err); hint > 0 {
		if hint > c.cfg.maxRetryAfter {
			e := c.stop(ReasonRetryAfterTooLong, err, attempt)
			e.MaxRetryAfter = c.cfg.maxRetryAfter
			return 0, e
		}
		delay = max(delay, hint)
	}
	if e := c.checkDeadlines(attempt, err, delay); e != nil {
		return 0, e
	}

	if c.cfg.budget != nil && !c.cfg.budget.withdraw(time.Now()) {
		return 0, c.stop(ReasonBudgetExhausted, err, attempt)
	}
	return delay, nil
}

// checkDeadlines stops the call when waiting delay would reach the
// context's deadline or the end of the time budget, since the next attempt
// could not start in time. The comparison uses the remaining time, so no
// sum of times can overflow.
func (c *call) checkDeadlines(attempt int, err error, delay time.Duration) *Error {
	now := time.Now()
	if deadline, ok := c.parent.Deadline(); ok && delay >= deadline.Sub(now) {
		e := c.stop(ReasonDeadline, err, attempt)
		// NOTE: a cause set with context.WithDeadlineCause is not known
		// before the deadline passes, so this reports DeadlineExceeded.
		e.ContextCause = context.DeadlineExceeded
		return e
	}
	if c.cfg.maxElapsed > 0 && delay >= c.cfg.maxElapsed-now.Sub(c.start) {
		e := c.stop(ReasonTimeBudget, err, attempt)
		e.ContextCause = ErrTimeBudgetExhausted
		e.contextErr = context.DeadlineExceeded
		return e
	}
	return nil
}

// wait calls the OnRetry hook and then waits delay, or less if the
// context ends first.
func (c *call) wait(attempt int, err error, delay time.Duration) *Error {
	if c.cfg.onRetry != nil {
		c.cfg.onRetry(c.event(attempt, err, delay))
	}
	c.sleep(delay)
	if c.ctx.Err() != nil {
		return c.contextError(err, attempt)
	}
	return nil
}

// sleep waits d, or less if the call's context ends first.
func (c *call) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	if c.timer == nil {
		c.timer = time.NewTimer(d)
	} else {
		c.timer.Reset(d)
	}
	select {
	case <-c.timer.C:
	case <-c.ctx.Done():
		c.timer.Stop()
	}
}

// passGate waits until the gate is open before the attempt that follows
// the attempts already made, the last of which failed with last. It stops
// the call when the queue is full or when the wait would pass the maximum
// server-requested delay, the deadline or the time budget.
func (c *call) passGate(attempts int, last error) *Error {
	g := c.cfg.gate
	for {
		wait, probe, ok := g.enter(time.Now(), c.cfg.maxRetryAfter)
		c.probe = probe
		switch {
		case !ok:
			return c.stop(ReasonQueueFull, last, attempts)
		case wait <= 0:
			return nil
		}
		stop := c.checkGateWait(attempts, last, wait)
		if stop == nil {
			c.sleep(wait)
		}
		g.leave()
		if stop != nil {
			return stop
		}
		if c.ctx.Err() != nil {
			return c.contextError(last, attempts)
		}
	}
}

func (c *call) checkGateWait(attempts int, last error, wait time.Duration) *Error {
	if wait > c.cfg.maxRetryAfter {
		e := c.stop(ReasonRetryAfterTooLong, last, attempts)
		e.RetryAfter = wait
		e.MaxRetryAfter = c.cfg.maxRetryAfter
		return e
	}
	return c.checkDeadlines(attempts, last, wait)
}

func (c *call) stop(reason Reason, last error, attempts int) *Error {
	return &Error{
		Reason:     reason,
		Attempts:   attempts,
		Elapsed:    time.Since(c.start),
		Last:       last,
		RetryAfter: RetryAfterOf(last),
	}
}

// contextError builds the error of a call whose context (the caller's, or
// the time budget's) ended.
func (c *call) contextError(last error, attempts int) *Error {
	if c.parent.Err() != nil {
		return newContextError(c.parent, last, attempts, time.Since(c.start))
	}
	e := c.stop(ReasonTimeBudget, last, attempts)
	e.ContextCause = context.Cause(c.ctx)
	e.contextErr = c.ctx.Err()
	return e
}

// newContextError builds the error of a call whose caller's context ended.
func newContextError(ctx context.Context, last error, attempts int,
	elapsed time.Duration) *Error {
	e := &Error{
		Reason:       ReasonCanceled,
		Attempts:     attempts,
		Elapsed:      elapsed,
		Last:         last,
		RetryAfter:   RetryAfterOf(last),
		ContextCause: context.Cause(ctx),
	}
	if err := ctx.Err(); err != e.ContextCause {
		e.contextErr = err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.Reason = ReasonDeadline
	}
	return e
}
