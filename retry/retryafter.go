package retry

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cowork-ai/resilience/internal/classify"
)

// RetryAfterOf returns the delay a server requested in err: the result of
// the RetryAfter() time.Duration method of the first error in the chain
// that has one, or zero. Negative requests count as zero.
func RetryAfterOf(err error) time.Duration {
	var hinted interface{ RetryAfter() time.Duration }
	if err == nil || !errors.As(err, &hinted) {
		return 0
	}
	return max(hinted.RetryAfter(), 0)
}

// ParseRetryAfter parses the value of an HTTP Retry-After header (RFC 9110,
// section 10.2.3): delta-seconds, or an HTTP date in any of the three forms
// that [http.ParseTime] accepts, which is turned into the delay from now. A
// date in the past means no delay. The two-digit year of the obsolete RFC
// 850 form falls in the past century only when it would be more than 50
// years after now. Spaces and tabs around the value are ignored. It returns false for an empty, negative or malformed value,
// including one surrounded by other whitespace. Delta-seconds too large for
// a time.Duration saturate at the largest one.
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.Trim(value, " \t") // optional whitespace in RFC 9110
	if value == "" {
		return 0, false
	}
	if isDigits(value) {
		seconds, err := strconv.ParseUint(value, 10, 64)
		if err != nil || seconds > math.MaxInt64/uint64(time.Second) {
			return math.MaxInt64, true // only a range error is possible
		}
		return time.Duration(seconds) * time.Second, true
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	if strings.IndexByte(value, '-') >= 0 {
		if _, err := time.Parse(time.RFC850, value); err == nil {
			t = pivotTwoDigitYear(t, now)
		}
	}
	return max(t.Sub(now), 0), true
}

// pivotTwoDigitYear moves t, parsed from a date with a two-digit year, to
// the century that RFC 9110 (section 5.6.7) requires: the latest year that
// ends in those digits and is at most 50 years ahead of now.
// time.Parse instead puts 69-99 in the 1900s and 00-68 in the 2000s.
func pivotTwoDigitYear(t, now time.Time) time.Time {
	year := now.Year() - now.Year()%100 + t.Year()%100
	if year > now.Year()+50 {
		year -= 100
	}
	return t.AddDate(year-t.Year(), 0, 0)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// HTTPError is the error of an HTTP response whose status requests a retry
// or reports a failure. [IsRetryable] classifies it by status code, and
// [Do] honours its Retry-After delay. It is safe for concurrent use.
type HTTPError struct {
	statusCode int
	status     string
	retryAfter time.Duration
}

// NewHTTPError returns the error for resp, reading its status and its
// Retry-After header. An HTTP-date Retry-After is measured from the
// response's Date header when it has a valid one, so a server clock that
// differs from the local one does not change the delay. Without a valid
// Date header it is measured from time.Now. NewHTTPError reads neither the body nor any other
// header, and does not close the body.
func NewHTTPError(resp *http.Response) *HTTPError {
	e := &HTTPError{statusCode: resp.StatusCode, status: resp.Status}
	if value := resp.Header.Get("Retry-After"); value != "" {
		now, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil {
			now = time.Now()
		}
		e.retryAfter, _ = ParseRetryAfter(value, now)
	}
	return e
}

// Error returns a message such as
// "retry: HTTP 429 Too Many Requests, retry after 2s".
func (e *HTTPError) Error() string {
	status := e.status
	if status == "" {
		status = strconv.Itoa(e.statusCode) + " " + http.StatusText(e.statusCode)
	}
	msg := "retry: HTTP " + status
	if e.retryAfter > 0 {
		msg += ", retry after " + e.retryAfter.String()
	}
	return msg
}

// StatusCode returns the response's status code.
func (e *HTTPError) StatusCode() int { return e.statusCode }

// RetryAfter returns the delay that the response's Retry-After header
// requested, or zero if it had none or an invalid one.
func (e *HTTPError) RetryAfter() time.Duration { return e.retryAfter }

// Code returns "ERR-HTTP" followed by the status code, such as
// "ERR-HTTP503".
func (e *HTTPError) Code() string { return "ERR-HTTP" + strconv.Itoa(e.statusCode) }

// Retryable reports whether the status is worth retrying: 408, 429, 500,
// 502, 503 and 504.
func (e *HTTPError) Retryable() bool { return classify.RetryableStatus(e.statusCode) }
