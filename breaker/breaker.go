package breaker

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Signals returned to gobreaker in place of the operation's error, so
// that gobreaker counts the classified outcome rather than the raw error.
var (
	errFailure = errors.New("breaker: failure")
	errNeutral = errors.New("breaker: neutral")
)

// ErrNilOperation is returned by Execute and ExecuteValue for a nil
// operation, which they do not count.
var ErrNilOperation = errors.New("breaker: operation is nil")

func signal(o Outcome) error {
	switch o {
	case OutcomeSuccess:
		return nil
	case OutcomeNeutral:
		return errNeutral
	}
	return errFailure
}

// Breaker is a circuit breaker for one external service. Create one with
// [New]. A Breaker is safe for concurrent use.
type Breaker struct {
	name string
	set  settings
	gb   *gobreaker.CircuitBreaker[struct{}]

	// mirror is the state as of the last transition, in the low 8 bits,
	// and the transition sequence number above them. Only transition
	// writes it, under gobreaker's lock.
	mirror atomic.Uint64
	// rejection is the error returned for rejected calls in the current
	// open or half-open period. Only transition writes it.
	rejection atomic.Pointer[OpenError]

	gate   probeGate
	events dispatcher
}

// call carries the operation's result out of the function that gobreaker
// runs.
type call struct {
	err  error
	busy bool               // rejected: every half-open probe slot in use
	late <-chan probeResult // the result of a probe that outlived its deadline
}

// New returns a breaker for the service called name, or an error naming
// the first invalid Config field.
func New(name string, cfg Config) (*Breaker, error) {
	if name == "" {
		return nil, errors.New("breaker: name is empty")
	}
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	b := &Breaker{name: name, set: s}
	b.events.hook = s.onChange
	b.gb = gobreaker.NewCircuitBreaker[struct{}](b.gobreakerSettings())
	return b, nil
}

func (b *Breaker) gobreakerSettings() gobreaker.Settings {
	s := b.set
	st := gobreaker.Settings{
		Name:          b.name,
		MaxRequests:   s.toClose,
		Timeout:       s.openTimeout,
		OnStateChange: b.transition,
		IsExcluded:    func(err error) bool { return err == errNeutral },
	}
	if s.ratio == 0 {
		st.ReadyToTrip = func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= s.consecutive
		}
		return st
	}
	st.Interval = s.window
	st.BucketPeriod = s.window / time.Duration(s.buckets)
	st.ReadyToTrip = func(c gobreaker.Counts) bool {
		calls := uint64(c.TotalSuccesses) + uint64(c.TotalFailures)
		return calls >= uint64(s.minCalls) &&
			float64(c.TotalFailures)/float64(calls) >= s.ratio
	}
	return st
}

// transition runs under gobreaker's lock for each state change: it updates
// the state mirror, the probe gate and the rejection error, and queues the
// event for delivery after the lock is released.
func (b *Breaker) transition(_ string, from, to gobreaker.State) {
	now := time.Now()
	seq := b.mirror.Load()>>8 + 1
	ev := StateChange{Name: b.name, From: stateFrom(from), To: stateFrom(to), At: now}
	switch ev.To {
	case StateOpen:
		// gobreaker moves to half-open only once the time is after the
		// end of the open period, so the first instant it admits a
		// probe is 1 ns later.
		retryAt := now.Add(b.set.openTimeout).Add(time.Nanosecond)
		b.rejection.Store(&OpenError{Service: b.name, State: StateOpen, RetryAt: retryAt})
	case StateHalfOpen:
		b.gate.reset(uint32(seq))
		b.rejection.Store(&OpenError{Service: b.name, State: StateHalfOpen})
	}
	b.mirror.Store(seq<<8 | uint64(ev.To))
	b.events.push(ev)
}

// Name returns the name the breaker was created with.
func (b *Breaker) Name() string { return b.name }

// State returns the breaker's state. An open breaker whose open period has
// passed becomes half-open here, and the transition is delivered to
// OnStateChange before State returns unless another goroutine is
// delivering events.
func (b *Breaker) State() State {
	s := b.gb.State()
	b.events.flush()
	return stateFrom(s)
}

// Counts returns the outcomes recorded in the current state.
func (b *Breaker) Counts() Counts {
	return countsFrom(b.gb.Counts())
}

// Execute runs op if the breaker admits the call and returns op's error.
// A rejected call returns an [*OpenError] matching [ErrOpen] without
// running op, and a ctx that is already done returns ctx.Err() without
// running op, as does a nil op with [ErrNilOperation]. The outcome is
// classified by Config.Classify. If op panics, the call counts as a
// failure and the panic continues.
//
// In the closed state op runs on the calling goroutine with ctx. A
// half-open probe runs op on its own goroutine with a child of ctx that
// ends after Config.ProbeTimeout; Execute returns when op returns, even if
// the deadline passed and the probe was already counted as a failure.
func (b *Breaker) Execute(ctx context.Context, op func(context.Context) error) error {
	if op == nil {
		return ErrNilOperation
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer b.events.flush()
	var c call
	_, err := b.gb.Execute(func() (struct{}, error) {
		return struct{}{}, b.run(ctx, op, &c)
	})
	return b.finish(err, &c)
}

// finish returns the result of a call, given the error gobreaker returned
// for it: the operation's error, a rejection, or, for a probe that passed
// its deadline, the operation's error once it returns.
func (b *Breaker) finish(err error, c *call) error {
	switch {
	case c.late != nil:
		return b.awaitLate(c.late)
	case c.busy:
		return b.reject()
	case err == gobreaker.ErrOpenState || err == gobreaker.ErrTooManyRequests:
		return b.reject()
	}
	return c.err
}

// run is the function that gobreaker calls once it admitted the call.
func (b *Breaker) run(ctx context.Context, op func(context.Context) error, c *call) error {
	m := b.mirror.Load()
	if State(m&0xff) == StateHalfOpen {
		// The call holds a half-open slot if the period that began with
		// transition m>>8 is still current; if not, its outcome no longer
		// counts.
		// NOTE: a call that gobreaker admitted in an earlier state, with
		// the breaker opening and reaching half-open again before this
		// load, takes a slot of the new period although gobreaker ignores
		// its outcome. Its probe deadline bounds how long it holds it.
		return b.probe(ctx, op, uint32(m>>8), c)
	}
	c.err = op(ctx)
	return signal(b.classify(ctx, c.err))
}

// classify returns the outcome of a call that ran, calling DefaultClassify
// directly when Config.Classify is nil.
func (b *Breaker) classify(ctx context.Context, err error) Outcome {
	if b.set.classify == nil {
		return DefaultClassify(ctx, err)
	}
	return b.set.classify(ctx, err)
}

// reject returns the error for a call rejected in the current period.
func (b *Breaker) reject() error {
	if e := b.rejection.Load(); e != nil {
		return e
	}
	return &OpenError{Service: b.name, State: StateOpen}
}

// awaitLate waits for a probe whose deadline passed and returns its
// operation's result, or continues its panic. It first delivers the
// transitions so far, the reopening that the deadline caused among them,
// because the operation may never return. If a hook panics, awaitLate
// still waits for the operation before the panic continues.
func (b *Breaker) awaitLate(late <-chan probeResult) error {
	delivered := false
	defer func() {
		if !delivered {
			<-late
		}
	}()
	b.events.flush()
	delivered = true

	r := <-late
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// ExecuteValue is [Breaker.Execute] for an operation that returns a value.
// On a rejection or an error it returns op's value as op returned it, or
// the zero value when op did not run.
func ExecuteValue[T any](ctx context.Context, b *Breaker,
	op func(context.Context) (T, error)) (T, error) {
	var v T
	if op == nil {
		return v, ErrNilOperation
	}
	if err := ctx.Err(); err != nil {
		return v, err
	}
	defer b.events.flush()
	var c call
	// box receives op's value when op runs as a probe on its own
	// goroutine. In the closed state op writes v directly, so that a
	// call allocates nothing.
	var box *T
	_, err := b.gb.Execute(func() (struct{}, error) {
		m := b.mirror.Load()
		if State(m&0xff) != StateHalfOpen {
			v, c.err = op(ctx)
			return struct{}{}, signal(b.classify(ctx, c.err))
		}
		box = new(T)
		out := box
		return struct{}{}, b.probe(ctx, func(ctx context.Context) error {
			var err error
			*out, err = op(ctx)
			return err
		}, uint32(m>>8), &c)
	})
	err = b.finish(err, &c)
	if box != nil {
		v = *box
	}
	return v, err
}
