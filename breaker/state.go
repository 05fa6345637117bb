package breaker

import (
	"context"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
)

// State is the state of a breaker. Its numeric values are stable, so they
// can be exported as a gauge: 0 closed, 1 half-open, 2 open.
type State int

const (
	// StateClosed admits every call.
	StateClosed State = iota
	// StateHalfOpen admits a bounded number of probes.
	StateHalfOpen
	// StateOpen rejects every call.
	StateOpen
)

// stateFrom converts a gobreaker state, whose values differ from ours only
// in type.
func stateFrom(s gobreaker.State) State {
	switch s {
	case gobreaker.StateClosed:
		return StateClosed
	case gobreaker.StateHalfOpen:
		return StateHalfOpen
	}
	return StateOpen
}

// String returns the state's lower-case name: "closed", "half-open" or
// "open".
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half-open"
	case StateOpen:
		return "open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Outcome is the class of a finished call, which decides how it counts
// towards the breaker's state.
type Outcome int

const (
	// OutcomeSuccess counts towards closing the breaker and resets the
	// consecutive failure count.
	OutcomeSuccess Outcome = iota
	// OutcomeFailure counts towards opening the breaker; in the half-open
	// state it opens the breaker at once.
	OutcomeFailure
	// OutcomeNeutral neither trips nor closes the breaker. A neutral probe
	// frees its half-open slot for the next probe.
	OutcomeNeutral
)

// String returns the outcome's lower-case name.
func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeFailure:
		return "failure"
	case OutcomeNeutral:
		return "neutral"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// DefaultClassify is the classifier used when [Config.Classify] is nil. A
// nil error is a success. An error returned after the caller's own ctx was
// cancelled or passed its deadline is neutral, because the caller gave up
// and the service may be healthy. Any other error is a failure.
//
// A custom classifier can mark more errors neutral and fall back to this
// one for the rest; see the Config example.
func DefaultClassify(ctx context.Context, err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	if ctx.Err() != nil {
		return OutcomeNeutral
	}
	return OutcomeFailure
}

// StateChange is the event passed to [Config.OnStateChange] for each
// transition.
type StateChange struct {
	// Name is the breaker's name, usually the service it guards.
	Name string
	// From is the state before the transition.
	From State
	// To is the state after the transition.
	To State
	// At is when the transition happened.
	At time.Time
}

// Counts are the outcomes a breaker has recorded in its current state:
// since the last transition, and in failure-rate mode only those inside
// the rolling window as of the last call.
type Counts struct {
	// Requests is the number of calls admitted, finished or not,
	// including half-open calls then rejected because every probe slot
	// was in use.
	Requests uint32
	// Successes is the number of calls that ended as a success.
	Successes uint32
	// Failures is the number of calls that ended as a failure.
	Failures uint32
	// Neutral is the number of calls that ended as neutral, plus half-open
	// calls rejected because every probe slot was in use.
	Neutral uint32
	// ConsecutiveSuccesses is the number of successes since the last
	// failure.
	ConsecutiveSuccesses uint32
	// ConsecutiveFailures is the number of failures since the last
	// success.
	ConsecutiveFailures uint32
}

func countsFrom(c gobreaker.Counts) Counts {
	return Counts{
		Requests:             c.Requests,
		Successes:            c.TotalSuccesses,
		Failures:             c.TotalFailures,
		Neutral:              c.TotalExclusions,
		ConsecutiveSuccesses: c.ConsecutiveSuccesses,
		ConsecutiveFailures:  c.ConsecutiveFailures,
	}
}
