// Package classify decides whether retrying an error can help. It is the
// one classification shared by retry (which acts on it) and report (which
// tells the user about it), so the two never disagree.
package classify

import (
	"context"
	"errors"
	"net/http"
)

// Retryable reports whether retrying the operation that returned err can
// succeed. The first rule that matches decides:
//
//  1. nil is not retryable (there is nothing to retry).
//  2. An error in the chain with a Retryable() bool method decides itself.
//     retry.Permanent uses this to mark errors that must not be retried.
//  3. context.Canceled is not retryable: the caller gave up.
//  4. A network timeout is retryable: an error in the chain whose Timeout()
//     method returns true, other than context.DeadlineExceeded itself.
//     Dial and read timeouts and http.Client timeouts are such errors,
//     although they also match context.DeadlineExceeded.
//  5. context.DeadlineExceeded is not retryable: the caller's time is up.
//  6. An error in the chain with a StatusCode() int method is retryable
//     for 408, 429, 500, 502, 503 and 504, and not for any other status.
//  7. Any other error is retryable, connection resets included.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var marker interface{ Retryable() bool }
	if errors.As(err, &marker) {
		return marker.Retryable()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if isNetworkTimeout(err) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var status interface{ StatusCode() int }
	if errors.As(err, &status) {
		return RetryableStatus(status.StatusCode())
	}
	return true
}

// isNetworkTimeout reports whether err is the timeout of a network
// operation rather than context.DeadlineExceeded itself, which also has a
// Timeout method.
func isNetworkTimeout(err error) bool {
	var timeout interface{ Timeout() bool }
	if !errors.As(err, &timeout) || !timeout.Timeout() {
		return false
	}
	return any(timeout) != any(context.DeadlineExceeded)
}

// RetryableStatus reports whether an HTTP response with the given status
// code is worth retrying: request timeout, too many requests, and the
// server-side statuses that describe a passing condition.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout,
		http.StatusTooManyRequests,
		http.StatusInternalServerError,
		http.StatusBadGateway,
		http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return true
	}
	return false
}
