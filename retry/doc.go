// Package retry runs an operation again when it fails in a way that can
// pass: with backoff and jitter between attempts, within the caller's
// deadline, honouring a server's requested delay, and under a retry budget
// shared between calls.
//
// Most callers want [Do], or [DoValue] for an operation that returns a
// value:
//
//	err := retry.Do(ctx, func(ctx context.Context) error {
//		return upload(ctx, file)
//	})
//
// Options change the schedule ([WithSchedule], [backoff.Network] by
// default), limit attempts and time ([WithMaxAttempts], [WithMaxElapsed],
// [WithAttemptTimeout]), change which errors are retried
// ([WithClassifier]), and add a hook ([OnRetry]), a shared retry budget
// ([WithBudget]) and a shared rate-limit gate ([WithGate]). Do, DoValue and
// the options are safe for concurrent use; a slice of options can be built
// once and shared.
//
// # Contexts
//
// Each attempt runs under a child of the caller's context that is canceled
// when the attempt returns, so goroutines the operation starts do not
// outlive it. A call whose context is already done runs the operation zero
// times. A call never starts a wait that would end at or after the
// context's deadline or the end of the time budget: it returns at once
// with the last error.
//
// # Stopping and errors
//
// A call stops on success or on an error that is not retryable (see
// [IsRetryable] and [Permanent]). It also stops when attempts run out, when
// its context ends or its time budget does, when a server requests a delay
// above the maximum ([WithMaxRetryAfter]), when the shared [Budget] is
// empty, and when too many calls already wait at a shared [Gate]. Every
// stop without success returns an [*Error] with the number of attempts,
// the elapsed time, the [Reason] and the last error. The error unwraps to
// the last error and, when the context ended the call, to the context's
// error and cause, so both of these hold after a call that timed out:
//
//	errors.Is(err, context.DeadlineExceeded)
//	errors.Is(err, lastOperationError)
//
// [*Error] has a stable Code for user-facing messages, and errors.Is
// matches it against the sentinel of its reason, such as
// [ErrBudgetExhausted].
//
// # Server hints
//
// An error with a RetryAfter() time.Duration method carries the delay a
// server requested. That delay is a floor for the next wait: the call
// waits at least that long, even when the schedule says less. A request
// above the maximum stops the call at once with [ReasonRetryAfterTooLong]
// and the requested delay in [Error.RetryAfter], instead of a long wait or
// a silent give-up. [NewHTTPError] builds such an error from an
// *http.Response, and [ParseRetryAfter] reads the header's delta-seconds
// and HTTP-date forms.
//
// # Shared limits
//
// Calls to the same service can share two limits. A [Budget] caps retries
// at a ratio of calls plus a small rate, so that retries cannot multiply
// the load during an outage; when it is empty the call stops with
// [ErrBudgetExhausted], a decision made on the client. A [Gate] makes
// rate-limited work wait instead of fail: once a server requests a delay,
// every call sharing the gate waits until the delay has passed, up to a
// bounded number of waiting calls, beyond which a call stops with
// [ErrQueueFull].
//
// # Hooks
//
// The [OnRetry] hook runs before each wait, on the goroutine that called
// Do, in attempt order; the call waits for it. Its [RetryEvent] carries
// the attempt number, the error, the chosen delay, the server-requested
// delay, the elapsed time and why the attempt is retried, so a metrics
// adapter can count retries by reason.
package retry
