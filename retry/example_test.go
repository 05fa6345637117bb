package retry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/retry"
)

func ExampleDo() {
	// A schedule with seeded jitter, so that this example prints the same
	// delays each run; most callers keep the default, backoff.Network().
	schedule, err := backoff.New(backoff.Config{
		Initial:    10 * time.Millisecond,
		Max:        100 * time.Millisecond,
		Jitter:     backoff.JitterEqual,
		MaxRetries: 4,
		Seed:       7,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	attempts := 0
	err = retry.Do(context.Background(), func(ctx context.Context) error {
		attempts++
		if attempts < 3 {
			return errors.New("connection reset")
		}
		return nil
	}, retry.WithSchedule(schedule), retry.OnRetry(func(ev retry.RetryEvent) {
		fmt.Printf("attempt %d failed (%v), retrying in %v\n",
			ev.Attempt, ev.Err, ev.Delay.Round(100*time.Microsecond))
	}))
	fmt.Println("err:", err, "after", attempts, "attempts")
	// Output:
	// attempt 1 failed (connection reset), retrying in 5.2ms
	// attempt 2 failed (connection reset), retrying in 19.8ms
	// err: <nil> after 3 attempts
}

// ExampleDoValue fetches a document from a server that is unavailable at
// first, reading the body inside the operation, while its context is alive.
func ExampleDoValue() {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	fast, _ := backoff.New(backoff.Config{Kind: backoff.KindConstant, Initial: time.Millisecond,
		MaxRetries: 3})
	body, err := retry.DoValue(context.Background(), func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			return "", retry.Permanent(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", retry.NewHTTPError(resp)
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}, retry.WithSchedule(fast))
	fmt.Printf("%q %v after %d calls\n", body, err, calls)
	// Output:
	// "hello" <nil> after 2 calls
}

// ExampleWithSchedule retries a local file operation on the storage preset:
// waits of 0, 100, 200, 300 and 400 ms.
func ExampleWithSchedule() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "settings", "state.json")

	attempts := 0
	err = retry.Do(context.Background(), func(context.Context) error {
		attempts++
		if attempts == 2 {
			// Another part of the program creates the directory meanwhile.
			if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
				return retry.Permanent(err)
			}
		}
		return os.WriteFile(path, []byte("{}"), 0o600)
	}, retry.WithSchedule(backoff.Storage()))
	fmt.Println("err:", err, "after", attempts, "attempts")
	// Output:
	// err: <nil> after 2 attempts
}

// ExampleNewHTTPError shows a server asking for a wait longer than the
// caller accepts: the call stops at once with a typed error instead of
// waiting two minutes.
func ExampleNewHTTPError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()

	err := retry.Do(context.Background(), func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
		if err != nil {
			return retry.Permanent(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return retry.NewHTTPError(resp)
		}
		return nil
	}, retry.WithMaxRetryAfter(time.Minute))

	var e *retry.Error
	if errors.As(err, &e) {
		fmt.Println(e.Reason, e.Code())
		fmt.Println("requested:", e.RetryAfter, "maximum:", e.MaxRetryAfter)
		fmt.Println("last error:", e.Last)
	}
	// Output:
	// retry-after too long ERR-RetryAfterTooLong
	// requested: 2m0s maximum: 1m0s
	// last error: retry: HTTP 429 Too Many Requests, retry after 2m0s
}

func ExampleParseRetryAfter() {
	now := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	for _, value := range []string{
		"120",                            // delta-seconds
		"Sun, 01 Mar 2026 12:00:30 GMT",  // IMF-fixdate
		"Sunday, 01-Mar-26 12:01:00 GMT", // RFC 850
		"Sun Mar  1 12:00:05 2026",       // asctime
		"Sun, 01 Mar 2026 11:00:00 GMT",  // in the past
		"-1",                             // invalid
	} {
		d, ok := retry.ParseRetryAfter(value, now)
		fmt.Println(d, ok)
	}
	// Output:
	// 2m0s true
	// 30s true
	// 1m0s true
	// 5s true
	// 0s true
	// 0s false
}

// ExampleError shows what a call that ran out of time returns: both the
// context's error and the operation's last error are in the chain.
func ExampleError() {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	errRefused := errors.New("connection refused")

	// The default schedule waits about a second before the first retry,
	// past the deadline, so Do returns after one attempt without waiting.
	err := retry.Do(ctx, func(context.Context) error { return errRefused })

	var e *retry.Error
	errors.As(err, &e)
	fmt.Println(e.Reason, e.Attempts, e.Code())
	fmt.Println(errors.Is(err, context.DeadlineExceeded), errors.Is(err, errRefused))
	// Output:
	// deadline 1 ERR-Timeout
	// true true
}

func ExampleWithBudget() {
	// One budget for every call to the same service: retries may add 10%
	// to the calls, plus 1 a second.
	budget, err := retry.NewBudget(retry.BudgetConfig{Ratio: 0.1, MinPerSecond: 1, Burst: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	noWait, _ := backoff.New(backoff.Config{Kind: backoff.KindConstant})
	opts := []retry.Option{retry.WithSchedule(noWait), retry.WithBudget(budget)}

	attempts := 0
	err = retry.Do(context.Background(), func(context.Context) error {
		attempts++
		return errors.New("service unavailable")
	}, opts...)
	fmt.Println(errors.Is(err, retry.ErrBudgetExhausted), attempts)
	// Output:
	// true 3
}

// rateLimitedError is the error of a response that asks the client to
// wait, as an HTTP 429 with Retry-After does.
type rateLimitedError struct{ wait time.Duration }

func (e rateLimitedError) Error() string             { return "rate limited" }
func (e rateLimitedError) RetryAfter() time.Duration { return e.wait }

func ExampleWithGate() {
	// Calls to one service share a gate. A gate that lets no call wait
	// makes the other calls fail fast while the service rate-limits.
	gate, err := retry.NewGate(0)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The service asks the first call to wait 30 s; this call gives up
	// instead, but the gate stays closed for 30 s.
	err = retry.Do(context.Background(), func(context.Context) error {
		return rateLimitedError{30 * time.Second}
	}, retry.WithGate(gate), retry.WithMaxAttempts(1))
	fmt.Println("first:", errors.Is(err, retry.ErrAttemptsExhausted))

	// A second call does not reach the service at all.
	attempts := 0
	err = retry.Do(context.Background(), func(context.Context) error {
		attempts++
		return nil
	}, retry.WithGate(gate))
	fmt.Println("second:", errors.Is(err, retry.ErrQueueFull), attempts)
	// Output:
	// first: true
	// second: true 0
}
