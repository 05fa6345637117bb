package retry_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/retry"
)

// codedError is an operation error with its own user-facing code.
type codedError struct{}

func (codedError) Error() string { return "quota exceeded" }
func (codedError) Code() string  { return "ERR-Quota" }

func TestErrorMessageCodeAndRetryable(t *testing.T) {
	tests := []struct {
		name          string
		err           *retry.Error
		wantMsg       string
		wantCode      string
		wantRetryable bool
	}{
		{
			"exhausted",
			&retry.Error{Reason: retry.ReasonAttemptsExhausted, Attempts: 6,
				Elapsed: 31234 * time.Millisecond, Last: errUnavailable},
			"retry: attempts exhausted after 6 attempts in 31.234s: service unavailable",
			"ERR-RetriesExhausted", true,
		},
		{
			"permanent",
			&retry.Error{Reason: retry.ReasonPermanent, Attempts: 1, Last: errUnavailable},
			"retry: not retryable after 1 attempt in 0s: service unavailable",
			"ERR-NotRetryable", false,
		},
		{
			"permanent with a coded error",
			&retry.Error{Reason: retry.ReasonPermanent, Attempts: 1, Last: codedError{}},
			"retry: not retryable after 1 attempt in 0s: quota exceeded",
			"ERR-Quota", false,
		},
		{
			"canceled before the first attempt",
			&retry.Error{Reason: retry.ReasonCanceled, ContextCause: context.Canceled},
			"retry: canceled (context canceled) before the first attempt",
			"ERR-Canceled", false,
		},
		{
			"deadline",
			&retry.Error{Reason: retry.ReasonDeadline, Attempts: 2, Elapsed: time.Second,
				Last: errUnavailable, ContextCause: context.DeadlineExceeded},
			"retry: deadline (context deadline exceeded) after 2 attempts in 1s: " +
				"service unavailable",
			"ERR-Timeout", false,
		},
		{
			"time budget",
			&retry.Error{Reason: retry.ReasonTimeBudget, Attempts: 3, Elapsed: time.Minute,
				Last: errUnavailable, ContextCause: retry.ErrTimeBudgetExhausted},
			"retry: time budget exhausted after 3 attempts in 1m0s: service unavailable",
			"ERR-RetryTimeBudgetExhausted", true,
		},
		{
			"retry budget",
			&retry.Error{Reason: retry.ReasonBudgetExhausted, Attempts: 1, Last: errUnavailable},
			"retry: retry budget exhausted on the client after 1 attempt in 0s: " +
				"service unavailable",
			"ERR-RetryBudgetExhausted", true,
		},
		{
			"unknown reason",
			&retry.Error{Reason: 99, Attempts: 1},
			"retry: Reason(99) after 1 attempt in 0s",
			"ERR-Internal", false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.wantMsg {
				t.Errorf("Error() = %q, want %q", got, tt.wantMsg)
			}
			if got := tt.err.Code(); got != tt.wantCode {
				t.Errorf("Code() = %q, want %q", got, tt.wantCode)
			}
			if got := tt.err.Retryable(); got != tt.wantRetryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.wantRetryable)
			}
			if got := retry.IsRetryable(tt.err); got != tt.wantRetryable {
				t.Errorf("IsRetryable() = %v, want %v", got, tt.wantRetryable)
			}
		})
	}
}

func TestErrorIsMatchesOnlyItsReason(t *testing.T) {
	sentinels := map[retry.Reason]error{
		retry.ReasonAttemptsExhausted: retry.ErrAttemptsExhausted,
		retry.ReasonPermanent:         retry.ErrNotRetryable,
		retry.ReasonTimeBudget:        retry.ErrTimeBudgetExhausted,
		retry.ReasonRetryAfterTooLong: retry.ErrRetryAfterTooLong,
		retry.ReasonBudgetExhausted:   retry.ErrBudgetExhausted,
		retry.ReasonQueueFull:         retry.ErrQueueFull,
	}
	for reason := retry.ReasonAttemptsExhausted; reason <= retry.ReasonQueueFull; reason++ {
		err := &retry.Error{Reason: reason, Attempts: 1, Last: errUnavailable}
		for other, sentinel := range sentinels {
			if got := errors.Is(err, sentinel); got != (other == reason) {
				t.Errorf("errors.Is(Error{%v}, %v) = %v, want %v",
					reason, sentinel, got, other == reason)
			}
		}
	}
}

func TestErrorUnwrapLeavesOutNil(t *testing.T) {
	e := &retry.Error{Reason: retry.ReasonAttemptsExhausted, Attempts: 1, Last: errUnavailable}
	if got := e.Unwrap(); len(got) != 1 || got[0] != errUnavailable {
		t.Errorf("Unwrap() = %v, want [%v]", got, errUnavailable)
	}
	e = &retry.Error{Reason: retry.ReasonCanceled}
	if got := e.Unwrap(); len(got) != 0 {
		t.Errorf("Unwrap() = %v, want none", got)
	}
}

func TestReasonString(t *testing.T) {
	want := map[retry.Reason]string{
		retry.ReasonAttemptsExhausted: "attempts exhausted",
		retry.ReasonPermanent:         "not retryable",
		retry.ReasonCanceled:          "canceled",
		retry.ReasonDeadline:          "deadline",
		retry.ReasonTimeBudget:        "time budget exhausted",
		retry.ReasonRetryAfterTooLong: "retry-after too long",
		retry.ReasonBudgetExhausted:   "retry budget exhausted on the client",
		retry.ReasonQueueFull:         "rate-limit queue full",
		0:                             "Reason(0)",
		-1:                            "Reason(-1)",
	}
	for r, w := range want {
		if got := r.String(); got != w {
			t.Errorf("Reason(%d).String() = %q, want %q", int(r), got, w)
		}
	}
}

func TestRetryReasonString(t *testing.T) {
	want := map[retry.RetryReason]string{
		retry.RetryReasonError:          "error",
		retry.RetryReasonAttemptTimeout: "attempt_timeout",
		retry.RetryReasonRetryAfter:     "retry_after",
		0:                               "RetryReason(0)",
	}
	for r, w := range want {
		if got := r.String(); got != w {
			t.Errorf("RetryReason(%d).String() = %q, want %q", int(r), got, w)
		}
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errUnavailable, true},
		{"permanent", retry.Permanent(errUnavailable), false},
		{"canceled", context.Canceled, false},
		{"deadline", context.DeadlineExceeded, false},
		{"429", httpStatusError(429), true},
		{"503", httpStatusError(503), true},
		{"400", httpStatusError(400), false},
	}
	for _, tt := range tests {
		if got := retry.IsRetryable(tt.err); got != tt.want {
			t.Errorf("IsRetryable(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNestedCallClassifiedByStop shows that an inner call which ran out of
// attempts is retried by an outer call, and one that hit a permanent error
// is not.
func TestNestedCallClassifiedByStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct {
			opErr     error
			wantOuter int
		}{
			{errUnavailable, 3},
			{retry.Permanent(errUnavailable), 1},
		} {
			outer := 0
			retry.Do(t.Context(), func(ctx context.Context) error {
				outer++
				inner := 0
				return retry.Do(ctx, failing(tt.opErr, &inner), fixed(t, time.Second, 1))
			}, fixed(t, time.Minute, 2))
			if outer != tt.wantOuter {
				t.Errorf("inner error %v: outer ran %d times, want %d", tt.opErr, outer, tt.wantOuter)
			}
		}
	})
}

type httpStatusError int

func (e httpStatusError) Error() string   { return "HTTP status " + strconv.Itoa(int(e)) }
func (e httpStatusError) StatusCode() int { return int(e) }
