package retry

import (
	"errors"
	"strconv"
	"time"
)

// RetryEvent describes a failed attempt that the call retries. [OnRetry]
// hooks receive one, by value, before each wait.
type RetryEvent struct {
	// Attempt is the number of the attempt that failed, counted from 1.
	Attempt int

	// Err is the error the attempt returned. After an attempt timeout it
	// wraps ErrAttemptTimeout.
	Err error

	// Delay is the wait before the next attempt: the schedule's delay,
	// raised to RetryAfter when the server requested more.
	Delay time.Duration

	// RetryAfter is the delay the server requested in Err, or zero.
	RetryAfter time.Duration

	// Elapsed is the time from the start of the call until the attempt
	// failed.
	Elapsed time.Duration

	// Reason is the cause of the retry.
	Reason RetryReason
}

// RetryReason is the cause of a retry. Its String values form a closed
// set, suitable as a metric label.
type RetryReason int

const (
	// RetryReasonError: the attempt returned a retryable error.
	RetryReasonError RetryReason = iota + 1
	// RetryReasonAttemptTimeout: the attempt ran out of the time that
	// WithAttemptTimeout gives it.
	RetryReasonAttemptTimeout
	// RetryReasonRetryAfter: the attempt's error carried a server-requested
	// delay, which set the floor of Delay.
	RetryReasonRetryAfter
)

// String returns "error", "attempt_timeout" or "retry_after".
func (r RetryReason) String() string {
	switch r {
	case RetryReasonError:
		return "error"
	case RetryReasonAttemptTimeout:
		return "attempt_timeout"
	case RetryReasonRetryAfter:
		return "retry_after"
	}
	return "RetryReason(" + strconv.Itoa(int(r)) + ")"
}

func (c *call) event(attempt int, err error, delay time.Duration) RetryEvent {
	ev := RetryEvent{
		Attempt:    attempt,
		Err:        err,
		Delay:      delay,
		RetryAfter: RetryAfterOf(err),
		Elapsed:    time.Since(c.start),
		Reason:     RetryReasonError,
	}
	var timedOut *attemptTimeoutError
	switch {
	case errors.As(err, &timedOut):
		ev.Reason = RetryReasonAttemptTimeout
	case ev.RetryAfter > 0:
		ev.Reason = RetryReasonRetryAfter
	}
	return ev
}
