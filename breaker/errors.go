package breaker

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrOpen matches every rejection by a breaker:
	// errors.Is(err, breaker.ErrOpen) reports whether a call was rejected
	// without running. The rejection itself is an [*OpenError].
	ErrOpen = errors.New("breaker: circuit open")

	// ErrProbeTimeout is the cause of the context a half-open probe runs
	// under when [Config.ProbeTimeout] passes: context.Cause(ctx) returns
	// it inside the operation.
	ErrProbeTimeout = errors.New("breaker: half-open probe timed out")
)

// CodeCircuitOpen is the stable code of an [*OpenError].
const CodeCircuitOpen = "ERR-CircuitOpen"

// OpenError is the error returned for a call that a breaker rejected
// without running it. It matches [ErrOpen]. A breaker returns the same
// OpenError value for every rejection within one open period, so rejecting
// does not allocate; treat it as read-only.
type OpenError struct {
	// Service is the name of the breaker that rejected the call.
	Service string
	// State is StateOpen, or StateHalfOpen when the breaker is probing and
	// every probe slot is in use.
	State State
	// RetryAt is the first instant at which the breaker admits a probe:
	// Config.OpenTimeout plus 1 ns after it opened. A call made at RetryAt
	// or later is not rejected for this open period. RetryAt is zero for a
	// half-open rejection, because a slot frees as soon as a running probe
	// ends, within Config.ProbeTimeout.
	RetryAt time.Time
}

// Error returns a message that names the service and states when the next
// probe is allowed.
func (e *OpenError) Error() string {
	if e.State == StateHalfOpen {
		return fmt.Sprintf("breaker: circuit %q is half-open and every probe slot "+
			"is in use; a slot frees when a running probe ends", e.Service)
	}
	return fmt.Sprintf("breaker: circuit %q is open; next probe allowed after %s",
		e.Service, e.RetryAt.UTC().Format(time.RFC3339))
}

// Is reports whether target is [ErrOpen].
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// Code returns "ERR-CircuitOpen".
func (e *OpenError) Code() string { return CodeCircuitOpen }

// Retryable returns false: retrying at once cannot succeed before RetryAt,
// so a retry loop that consults Retryable stops at a rejection instead of
// spending its attempts against an open breaker.
func (e *OpenError) Retryable() bool { return false }
