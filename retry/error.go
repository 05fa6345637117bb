package retry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cowork-ai/resilience/internal/classify"
)

var (
	// ErrInvalidOption is wrapped by the error that Do returns, before any
	// attempt, when an option has an invalid value.
	ErrInvalidOption = errors.New("retry: invalid option")

	// ErrAttemptsExhausted matches an [*Error] whose Reason is
	// ReasonAttemptsExhausted.
	ErrAttemptsExhausted = errors.New("retry: attempts exhausted")

	// ErrNotRetryable matches an [*Error] whose Reason is ReasonPermanent.
	ErrNotRetryable = errors.New("retry: error is not retryable")

	// ErrTimeBudgetExhausted matches an [*Error] whose Reason is
	// ReasonTimeBudget. It is also the cause of the operation's context
	// when the time budget of [WithMaxElapsed] ends during an attempt.
	ErrTimeBudgetExhausted = errors.New("retry: time budget exhausted")

	// ErrRetryAfterTooLong matches an [*Error] whose Reason is
	// ReasonRetryAfterTooLong.
	ErrRetryAfterTooLong = errors.New("retry: requested delay is above the maximum")

	// ErrBudgetExhausted matches an [*Error] whose Reason is
	// ReasonBudgetExhausted. The decision is the client's own: the server
	// was not asked.
	ErrBudgetExhausted = errors.New("retry: retry budget exhausted on the client")

	// ErrQueueFull matches an [*Error] whose Reason is ReasonQueueFull.
	ErrQueueFull = errors.New("retry: too many calls waiting for a rate-limited service")

	// ErrAttemptTimeout is wrapped by the error of an attempt that ran out
	// of the time [WithAttemptTimeout] gives it. It is also the cause of
	// the operation's context then.
	ErrAttemptTimeout = errors.New("retry: attempt timed out")
)

// Reason is the condition that stopped a call without success.
type Reason int

const (
	// ReasonAttemptsExhausted: the schedule or WithMaxAttempts allowed no
	// further attempt.
	ReasonAttemptsExhausted Reason = iota + 1
	// ReasonPermanent: the error was marked with Permanent or the
	// classifier found it not retryable.
	ReasonPermanent
	// ReasonCanceled: the context was canceled.
	ReasonCanceled
	// ReasonDeadline: the context's deadline passed, or would have passed
	// before the next attempt could start.
	ReasonDeadline
	// ReasonTimeBudget: the WithMaxElapsed budget ended, or would have
	// ended before the next attempt could start.
	ReasonTimeBudget
	// ReasonRetryAfterTooLong: the server requested a delay above the
	// WithMaxRetryAfter maximum.
	ReasonRetryAfterTooLong
	// ReasonBudgetExhausted: the shared retry budget had no token left.
	ReasonBudgetExhausted
	// ReasonQueueFull: the Gate was closed and as many calls as it allows
	// were already waiting at it.
	ReasonQueueFull
)

var reasonInfo = [...]struct {
	name, code string
	sentinel   error
	retryable  bool // whether running the whole call again later can help
}{
	ReasonAttemptsExhausted: {"attempts exhausted", "ERR-RetriesExhausted", ErrAttemptsExhausted, true},
	ReasonPermanent:         {"not retryable", "ERR-NotRetryable", ErrNotRetryable, false},
	ReasonCanceled:          {"canceled", "ERR-Canceled", nil, false},
	ReasonDeadline:          {"deadline", "ERR-Timeout", nil, false},
	ReasonTimeBudget:        {"time budget exhausted", "ERR-RetryTimeBudgetExhausted", ErrTimeBudgetExhausted, true},
	ReasonRetryAfterTooLong: {"retry-after too long", "ERR-RetryAfterTooLong", ErrRetryAfterTooLong, true},
	ReasonBudgetExhausted:   {"retry budget exhausted on the client", "ERR-RetryBudgetExhausted", ErrBudgetExhausted, true},
	ReasonQueueFull:         {"rate-limit queue full", "ERR-RateLimited", ErrQueueFull, true},
}

func (r Reason) valid() bool { return r > 0 && int(r) < len(reasonInfo) }

// String returns a short lower-case description, such as "canceled".
func (r Reason) String() string {
	if !r.valid() {
		return "Reason(" + strconv.Itoa(int(r)) + ")"
	}
	return reasonInfo[r].name
}

// Code returns the stable error code of the reason, such as
// "ERR-RetriesExhausted".
func (r Reason) Code() string {
	if !r.valid() {
		return "ERR-Internal"
	}
	return reasonInfo[r].code
}

// Error is the error of a call that stopped without success. It unwraps to
// Last and, when the context ended the call, to the context's error and
// cause, so errors.Is finds both the operation's error and, for example,
// context.DeadlineExceeded. errors.Is also matches the sentinel of the
// Reason, such as [ErrBudgetExhausted]. Do never changes an Error after
// returning it, so concurrent reads are safe.
type Error struct {
	// Reason is the condition that stopped the call.
	Reason Reason

	// Attempts is the number of times the operation ran. It is zero when
	// the call stopped before the first attempt.
	Attempts int

	// Elapsed is the time from the start of the call until it stopped.
	Elapsed time.Duration

	// Last is the error of the last attempt, with a Permanent mark
	// removed, or nil when no attempt ran.
	Last error

	// RetryAfter is the delay the server requested in Last, or zero if it
	// requested none. With ReasonRetryAfterTooLong it is the request that
	// was above MaxRetryAfter.
	RetryAfter time.Duration

	// MaxRetryAfter is the maximum in force when the call stopped with
	// ReasonRetryAfterTooLong, and zero otherwise.
	MaxRetryAfter time.Duration

	// ContextCause is context.Cause of the call's context when the context
	// ended the call, and nil when it did not. When the call stopped
	// because its deadline would pass before the next attempt, it is
	// context.DeadlineExceeded, or ErrTimeBudgetExhausted for the end of
	// the time budget.
	ContextCause error

	// contextErr is ctx.Err() when it differs from ContextCause, so that
	// errors.Is finds context.Canceled even under a custom cause.
	contextErr error
}

// Error returns a message with the reason, the attempt count and the last
// error, such as
// "retry: attempts exhausted after 6 attempts in 31.2s: connection refused".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("retry: ")
	switch {
	case e.Reason == ReasonRetryAfterTooLong:
		fmt.Fprintf(&b, "server requested a %v delay, above the %v maximum,",
			e.RetryAfter, e.MaxRetryAfter)
	case e.ContextCause != nil && !e.Is(e.ContextCause):
		fmt.Fprintf(&b, "%v (%v)", e.Reason, e.ContextCause)
	default:
		b.WriteString(e.Reason.String())
	}
	if e.Attempts == 0 {
		b.WriteString(" before the first attempt")
	} else {
		fmt.Fprintf(&b, " after %d attempt", e.Attempts)
		if e.Attempts > 1 {
			b.WriteByte('s')
		}
		fmt.Fprintf(&b, " in %v", e.Elapsed.Round(time.Millisecond))
	}
	if e.Last != nil {
		b.WriteString(": ")
		b.WriteString(e.Last.Error())
	}
	return b.String()
}

// Unwrap returns Last and the context's error and cause, leaving out nils.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 3)
	for _, err := range []error{e.Last, e.ContextCause, e.contextErr} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Is reports whether target is the sentinel of e.Reason.
func (e *Error) Is(target error) bool {
	return e.Reason.valid() && target != nil && target == reasonInfo[e.Reason].sentinel
}

// Retryable reports whether running the whole call again later can
// succeed. It is true when retries ran out (attempts, time or budget) or
// the server requested a long wait, and false when the error is permanent
// or the caller's context ended. The shared classification ([IsRetryable]) uses
// this method, so a call nested in another retrying call is classified by
// how it stopped.
func (e *Error) Retryable() bool {
	return e.Reason.valid() && reasonInfo[e.Reason].retryable
}

// Code returns the stable code of the stop reason, such as
// "ERR-RetriesExhausted". For ReasonPermanent, the code of Last is more
// useful to a user, so Code returns it when Last has a Code method.
func (e *Error) Code() string {
	if e.Reason == ReasonPermanent {
		var coded interface{ Code() string }
		if errors.As(e.Last, &coded) {
			return coded.Code()
		}
	}
	return e.Reason.Code()
}

// Permanent marks err as not worth retrying: [Do] stops at once and returns
// an [*Error] whose Last is err itself, without the mark, so errors.Is(got,
// err) holds. Permanent(nil) returns nil, and an error that is already a
// *PermanentError comes back unchanged, so marking twice leaves one mark.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	if marked, ok := err.(*PermanentError); ok {
		return marked
	}
	return &PermanentError{Err: err}
}

// PermanentError is the mark that [Permanent] puts on an error. Any error
// with a Retryable() bool method that returns false stops a call the same
// way, and this type is one such error.
type PermanentError struct {
	// Err is the marked error.
	Err error
}

// Error returns the message of the marked error.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the marked error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Retryable returns false.
func (e *PermanentError) Retryable() bool { return false }

// IsRetryable reports whether retrying the operation that returned err can
// succeed. It is the default classification of [Do]. The first rule that
// matches decides:
//
//  1. nil is not retryable.
//  2. An error in the chain with a Retryable() bool method decides itself.
//     [Permanent] errors, [*HTTPError] and [*Error] have one.
//  3. context.Canceled is not retryable.
//  4. A network timeout is retryable: an error in the chain whose Timeout()
//     method returns true, such as a dial, read or http.Client timeout,
//     other than context.DeadlineExceeded itself.
//  5. context.DeadlineExceeded is not retryable.
//  6. An error in the chain with a StatusCode() int method is retryable
//     for HTTP 408, 429, 500, 502, 503 and 504 and for no other status.
//  7. Any other error is retryable, connection resets included.
func IsRetryable(err error) bool { return classify.Retryable(err) }

// attemptTimeoutError is the error of an attempt that ran out of its own
// time while the call's context was alive.
type attemptTimeoutError struct {
	timeout time.Duration
	err     error
}

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("retry: attempt timed out after %v: %v", e.timeout, e.err)
}

func (e *attemptTimeoutError) Unwrap() []error { return []error{ErrAttemptTimeout, e.err} }

// Retryable returns true: the next attempt gets a fresh timeout.
func (e *attemptTimeoutError) Retryable() bool { return true }
