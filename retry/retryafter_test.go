package retry_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/retry"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"120", 120 * time.Second, true},
		{"0", 0, true},
		{"  7 ", 7 * time.Second, true},
		{"\t7\t", 7 * time.Second, true},
		{" Sun, 01 Mar 2026 12:00:30 GMT\t", 30 * time.Second, true},
		// Only space and tab are optional whitespace in HTTP (RFC 9110,
		// section 5.6.3).
		{"\v7", 0, false},
		{"7\f", 0, false},
		{"\u00a07", 0, false},
		{"7\u2003", 0, false},
		{"\u0085Sun, 01 Mar 2026 12:00:30 GMT", 0, false},
		{"007", 7 * time.Second, true},
		// The three date forms of RFC 9110, section 5.6.7.
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true}, // IMF-fixdate
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true},     // obsolete RFC 850
		{"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},       // ANSI C asctime
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},                // past: no wait
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0, true},
		// A two-digit year is in the past century only when it would be
		// more than 50 years ahead (RFC 9110, section 5.6.7).
		{"Friday, 01-Mar-70 12:00:00 GMT",
			time.Date(2070, time.March, 1, 12, 0, 0, 0, time.UTC).Sub(now), true},
		{"Monday, 01-Mar-77 12:00:00 GMT", 0, true},
		{"Wednesday, 01-Mar-00 12:00:00 GMT", 0, true},
		{"9223372036", 9223372036 * time.Second, true},
		{"9223372037", math.MaxInt64, true}, // above the largest duration
		{"99999999999999999999999", math.MaxInt64, true},
		{"", 0, false},
		{"   ", 0, false},
		{"-5", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"5s", 0, false},
		{"0x10", 0, false},
		{"soon", 0, false},
		{"Sun, 01 Mar 2026 12:00:30", 0, false},
		{"2026-03-01T12:00:30Z", 0, false},
		{"١٢", 0, false}, // Arabic-Indic digits are not DIGIT
	}
	for _, tt := range tests {
		got, ok := retry.ParseRetryAfter(tt.value, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v",
				tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzParseRetryAfter checks that no value panics the parser or yields a
// negative delay, and that delta-seconds round-trip.
func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{
		"120", "0", "Sun, 01 Mar 2026 12:00:30 GMT", "Sunday, 01-Mar-26 12:01:00 GMT",
		"Sun Mar  1 12:00:05 2026", "-1", "99999999999999999999999", "", "\x00", "1e9",
		"Friday, 01-Mar-70 12:00:00 GMT",
	} {
		f.Add(seed, int64(1772366400))
	}
	f.Fuzz(func(t *testing.T, value string, unix int64) {
		now := time.Unix(unix, 0)
		d, ok := retry.ParseRetryAfter(value, now)
		if d < 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, want a non-negative delay", value, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, false; want 0 when not ok", value, d)
		}
		if n, err := strconv.ParseUint(value, 10, 32); err == nil {
			if want := time.Duration(n) * time.Second; d != want || !ok {
				t.Fatalf("ParseRetryAfter(%q) = %v, %v; want %v, true", value, d, ok, want)
			}
		}
	})
}

// rateLimiter responds with status and, when retryAfter is not empty, a
// Retry-After header, a fixed Date header, and no body.
func rateLimiter(t *testing.T, status int, retryAfter string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", "Sun, 01 Mar 2026 12:00:00 GMT")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// get returns the HTTPError for one GET of url.
func get(t *testing.T, url string) *retry.HTTPError {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return retry.NewHTTPError(resp)
}

func TestNewHTTPError(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		retryAfter     string
		wantDelay      time.Duration
		wantRetryable  bool
		wantCode, want string
	}{
		{"429 with seconds", 429, "3", 3 * time.Second, true, "ERR-HTTP429",
			"retry: HTTP 429 Too Many Requests, retry after 3s"},
		// The date is read against the response's Date header, not the
		// local clock.
		{"503 with a date", 503, "Sun, 01 Mar 2026 12:00:45 GMT", 45 * time.Second, true,
			"ERR-HTTP503", "retry: HTTP 503 Service Unavailable, retry after 45s"},
		{"503 with a past date", 503, "Sun, 01 Mar 2026 11:00:00 GMT", 0, true,
			"ERR-HTTP503", "retry: HTTP 503 Service Unavailable"},
		{"429 with garbage", 429, "tomorrow", 0, true, "ERR-HTTP429",
			"retry: HTTP 429 Too Many Requests"},
		{"429 with a negative value", 429, "-3", 0, true, "ERR-HTTP429",
			"retry: HTTP 429 Too Many Requests"},
		{"408", 408, "", 0, true, "ERR-HTTP408", "retry: HTTP 408 Request Timeout"},
		{"404", 404, "", 0, false, "ERR-HTTP404", "retry: HTTP 404 Not Found"},
		{"401 with seconds", 401, "5", 5 * time.Second, false, "ERR-HTTP401",
			"retry: HTTP 401 Unauthorized, retry after 5s"},
		{"501", 501, "", 0, false, "ERR-HTTP501", "retry: HTTP 501 Not Implemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := get(t, rateLimiter(t, tt.status, tt.retryAfter).URL)
			if e.StatusCode() != tt.status {
				t.Errorf("StatusCode() = %d, want %d", e.StatusCode(), tt.status)
			}
			if e.RetryAfter() != tt.wantDelay {
				t.Errorf("RetryAfter() = %v, want %v", e.RetryAfter(), tt.wantDelay)
			}
			if got := retry.IsRetryable(e); got != tt.wantRetryable {
				t.Errorf("IsRetryable() = %v, want %v", got, tt.wantRetryable)
			}
			if e.Code() != tt.wantCode {
				t.Errorf("Code() = %q, want %q", e.Code(), tt.wantCode)
			}
			if e.Error() != tt.want {
				t.Errorf("Error() = %q, want %q", e.Error(), tt.want)
			}
		})
	}
}

func TestNewHTTPErrorWithoutDateHeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		resp := &http.Response{StatusCode: 503, Header: http.Header{
			"Retry-After": {time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)},
		}}
		e := retry.NewHTTPError(resp)
		if e.RetryAfter() != 90*time.Second {
			t.Errorf("RetryAfter() = %v, want 90s from the local clock", e.RetryAfter())
		}
		if want := "retry: HTTP 503 Service Unavailable, retry after 1m30s"; e.Error() != want {
			t.Errorf("Error() = %q, want %q", e.Error(), want)
		}
	})
}

// TestDoWaitsForHTTPRetryAfter drives Do with the errors of real loopback
// responses: a 429 asking for 3 s, then a 503 asking for a date 20 s
// after its Date header, then a 404.
func TestDoWaitsForHTTPRetryAfter(t *testing.T) {
	responses := []error{
		get(t, rateLimiter(t, 429, "3").URL),
		get(t, rateLimiter(t, 503, "Sun, 01 Mar 2026 12:00:20 GMT").URL),
		get(t, rateLimiter(t, 404, "").URL),
	}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var starts []time.Duration
		err := retry.Do(t.Context(), func(context.Context) error {
			starts = append(starts, time.Since(start))
			return responses[len(starts)-1]
		}, fixed(t, time.Second, 0))

		want := []time.Duration{0, 3 * time.Second, 23 * time.Second}
		if len(starts) != len(want) {
			t.Fatalf("attempts started at %v, want %v", starts, want)
		}
		for i := range want {
			if starts[i] != want[i] {
				t.Errorf("attempt %d started at %v, want %v", i+1, starts[i], want[i])
			}
		}
		var httpErr *retry.HTTPError
		if !errors.As(err, &httpErr) || httpErr.StatusCode() != 404 {
			t.Errorf("Do() = %v, want the 404 as last error", err)
		}
		if e := asError(t, err); e.Reason != retry.ReasonPermanent || e.Code() != "ERR-HTTP404" {
			t.Errorf("Reason, Code() = %v, %q; want not retryable, ERR-HTTP404", e.Reason, e.Code())
		}
	})
}

func TestDoRetryAfterAboveMaximumFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		hinted := hintError{10 * time.Minute}
		err := retry.Do(t.Context(), func(context.Context) error { return hinted },
			retry.WithMaxRetryAfter(time.Minute))
		if took := time.Since(start); took != 0 {
			t.Errorf("Do waited %v, want an immediate return", took)
		}
		e := asError(t, err)
		if e.Reason != retry.ReasonRetryAfterTooLong {
			t.Errorf("Reason = %v, want %v", e.Reason, retry.ReasonRetryAfterTooLong)
		}
		if e.RetryAfter != 10*time.Minute || e.MaxRetryAfter != time.Minute {
			t.Errorf("RetryAfter, MaxRetryAfter = %v, %v; want 10m0s, 1m0s",
				e.RetryAfter, e.MaxRetryAfter)
		}
		want := "retry: server requested a 10m0s delay, above the 1m0s maximum, " +
			"after 1 attempt in 0s: rate limited for 10m0s"
		if e.Error() != want {
			t.Errorf("Error() = %q, want %q", e.Error(), want)
		}
		if !errors.Is(err, retry.ErrRetryAfterTooLong) || !errors.Is(err, hinted) {
			t.Errorf("errors.Is(%v, ErrRetryAfterTooLong and the operation error) = false, "+
				"want true", err)
		}
		if e.Code() != "ERR-RetryAfterTooLong" {
			t.Errorf("Code() = %q, want ERR-RetryAfterTooLong", e.Code())
		}
	})
}

func TestDoZeroMaxRetryAfterRejectsAnyHint(t *testing.T) {
	attempts := 0
	err := retry.Do(t.Context(), failing(hintError{time.Second}, &attempts),
		retry.WithMaxRetryAfter(0))
	if !errors.Is(err, retry.ErrRetryAfterTooLong) || attempts != 1 {
		t.Errorf("Do() = %v after %d attempts, want ErrRetryAfterTooLong after 1", err, attempts)
	}
}

func TestRetryAfterOf(t *testing.T) {
	tests := []struct {
		err  error
		want time.Duration
	}{
		{nil, 0},
		{errUnavailable, 0},
		{hintError{time.Second}, time.Second},
		{hintError{-time.Second}, 0},
		{retry.Permanent(hintError{2 * time.Second}), 2 * time.Second},
	}
	for _, tt := range tests {
		if got := retry.RetryAfterOf(tt.err); got != tt.want {
			t.Errorf("RetryAfterOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
