package retry

import (
	"fmt"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/internal/classify"
)

// DefaultMaxRetryAfter is the longest server-requested delay a call waits
// for unless [WithMaxRetryAfter] sets another maximum.
const DefaultMaxRetryAfter = time.Minute

// defaultSchedule is shared by every call without WithSchedule. A Policy is
// immutable, so sharing it is safe.
var defaultSchedule backoff.Schedule = backoff.Network()

// An Option changes how [Do] and [DoValue] retry. Options are immutable
// values, safe for concurrent use, so a slice of them can be built once and
// passed to many calls.
type Option interface {
	// apply returns c with the option set. It takes and returns the config
	// by value so that applying options does not move it to the heap.
	apply(c config) config
}

// optionFunc adapts a function to Option.
type optionFunc func(c config) config

func (f optionFunc) apply(c config) config { return f(c) }

// invalid returns an option that makes the call fail, before the first
// attempt, with an error that wraps ErrInvalidOption.
func invalid(format string, args ...any) Option {
	err := fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
	return optionFunc(func(c config) config {
		if c.err == nil {
			c.err = err
		}
		return c
	})
}

// config is the settings of one call, with defaults filled in.
type config struct {
	schedule       backoff.Schedule
	maxAttempts    int           // zero: the schedule decides
	maxElapsed     time.Duration // zero: no time budget
	attemptTimeout time.Duration // zero: no per-attempt timeout
	maxRetryAfter  time.Duration
	retryable      func(error) bool
	onRetry        func(RetryEvent) // nil: no hook
	budget         *Budget          // nil: no retry budget
	gate           *Gate            // nil: no gate
	err            error            // the first invalid option
}

func defaultConfig() config {
	return config{
		schedule:      defaultSchedule,
		maxRetryAfter: DefaultMaxRetryAfter,
		retryable:     classify.Retryable,
	}
}

// WithSchedule sets the delays between attempts. The default is
// [backoff.Network]: 1 s doubling to a 32 s cap with equal jitter, 5
// retries. A Sequence that ends stops the call with [ReasonAttemptsExhausted].
// A nil s, including a nil *backoff.Policy, is invalid.
func WithSchedule(s backoff.Schedule) Option {
	if p, ok := s.(*backoff.Policy); s == nil || ok && p == nil {
		return invalid("WithSchedule(nil)")
	}
	return optionFunc(func(c config) config {
		c.schedule = s
		return c
	})
}

// WithMaxAttempts limits the number of attempts, the first one included.
// The call stops at whichever limit comes first, this one or the end of the
// schedule. Zero, the default, leaves the limit to the schedule. A negative
// n is invalid.
func WithMaxAttempts(n int) Option {
	if n < 0 {
		return invalid("WithMaxAttempts(%d) is negative", n)
	}
	return optionFunc(func(c config) config {
		c.maxAttempts = n
		return c
	})
}

// WithMaxElapsed sets a time budget for the whole call, attempts and waits
// included. The operation's context carries the budget as a deadline, and
// the call never starts a wait that would end past it. Zero, the default,
// means no budget. A negative d is invalid.
func WithMaxElapsed(d time.Duration) Option {
	if d < 0 {
		return invalid("WithMaxElapsed(%v) is negative", d)
	}
	return optionFunc(func(c config) config {
		c.maxElapsed = d
		return c
	})
}

// WithAttemptTimeout bounds each attempt: the operation's context gets a
// deadline d after the attempt starts. When an attempt fails because its
// own deadline passed, while the call's context is still alive, Do wraps
// its error so that it matches [ErrAttemptTimeout]. Such an attempt is
// retried whatever the classifier returns, unless the error is marked with
// [Permanent]. When the call's deadline or time budget ends at or before
// the attempt's deadline, it ends the attempt instead, and the call stops
// as it does without this option.
// Zero, the default, means no per-attempt timeout. A negative d is invalid.
func WithAttemptTimeout(d time.Duration) Option {
	if d < 0 {
		return invalid("WithAttemptTimeout(%v) is negative", d)
	}
	return optionFunc(func(c config) config {
		c.attemptTimeout = d
		return c
	})
}

// WithMaxRetryAfter sets the longest server-requested delay the call waits
// for (see [ParseRetryAfter]). A longer request stops the call at once with
// [ReasonRetryAfterTooLong] instead of waiting. The default is
// [DefaultMaxRetryAfter]. Zero means every positive request stops the
// call. A negative d is invalid.
func WithMaxRetryAfter(d time.Duration) Option {
	if d < 0 {
		return invalid("WithMaxRetryAfter(%v) is negative", d)
	}
	return optionFunc(func(c config) config {
		c.maxRetryAfter = d
		return c
	})
}

// WithClassifier replaces [IsRetryable] as the test of whether an error is
// worth another attempt. Errors marked with [Permanent] stop the call
// whatever retryable returns, and attempts that hit their own timeout are
// retried without asking it. A nil retryable is invalid.
func WithClassifier(retryable func(err error) bool) Option {
	if retryable == nil {
		return invalid("WithClassifier(nil)")
	}
	return optionFunc(func(c config) config {
		c.retryable = retryable
		return c
	})
}

// OnRetry sets a hook called once before each wait between attempts, so
// not after the last attempt. It runs on the goroutine that called [Do] or
// [DoValue], in attempt order, and the call waits for it to return. A nil
// hook means none.
func OnRetry(hook func(RetryEvent)) Option {
	return optionFunc(func(c config) config {
		c.onRetry = hook
		return c
	})
}

// WithBudget makes the call draw each retry from b, a budget shared with
// other calls. An empty budget stops the call with
// [ReasonBudgetExhausted]. A nil b means no budget, the default.
func WithBudget(b *Budget) Option {
	return optionFunc(func(c config) config {
		c.budget = b
		return c
	})
}
