package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/retry"
)

func ExampleBreaker_Execute() {
	b, err := breaker.New("openai", breaker.Config{
		ConsecutiveFailures: 2,
		OnStateChange: func(ev breaker.StateChange) {
			fmt.Printf("%s: %s -> %s\n", ev.Name, ev.From, ev.To)
		},
	})
	if err != nil {
		panic(err)
	}
	calls := 0
	transcribe := func(ctx context.Context) error {
		calls++
		return errors.New("503 service unavailable")
	}
	for range 3 {
		err := b.Execute(context.Background(), transcribe)
		var open *breaker.OpenError
		if errors.As(err, &open) {
			fmt.Println("rejected:", open.Code(), open.Service, open.State)
			continue
		}
		fmt.Println("failed:", err)
	}
	// Output:
	// failed: 503 service unavailable
	// openai: closed -> open
	// failed: 503 service unavailable
	// rejected: ERR-CircuitOpen openai open
}

func ExampleExecuteValue() {
	b, err := breaker.New("deepgram", breaker.Config{})
	if err != nil {
		panic(err)
	}
	text, err := breaker.ExecuteValue(context.Background(), b,
		func(ctx context.Context) (string, error) {
			return "hello world", nil
		})
	fmt.Println(text, err, b.State())
	// Output: hello world <nil> closed
}

// Client errors carry no information about the health of the service, so this
// classifier counts them as neutral and leaves every other decision to
// DefaultClassify.
func ExampleConfig_classify() {
	errBadAudio := errors.New("400 bad audio")
	b, err := breaker.New("openai", breaker.Config{
		Classify: func(ctx context.Context, err error) breaker.Outcome {
			if errors.Is(err, errBadAudio) {
				return breaker.OutcomeNeutral
			}
			return breaker.DefaultClassify(ctx, err)
		},
	})
	if err != nil {
		panic(err)
	}
	for range 10 {
		_ = b.Execute(context.Background(), func(context.Context) error { return errBadAudio })
	}
	fmt.Println(b.State(), b.Counts().Neutral)
	// Output: closed 10
}

// The recommended composition puts the breaker inside retry.Do, so that
// every attempt goes through the breaker and counts towards its state.
// Once the breaker opens, the next attempt is rejected with an
// *OpenError, whose Retryable method returns false, so the retry loop
// stops at once instead of spending its remaining attempts.
//
// DefaultClassify counts every error as a failure, a 429 Too Many
// Requests included: the service is overloaded, not down. A Classify that
// returns OutcomeNeutral for a 429 keeps rate limits from opening the
// breaker, as ExampleConfig_classify shows for client errors.
func ExampleBreaker_Execute_withRetry() {
	b, err := breaker.New("speech", breaker.Config{
		ConsecutiveFailures: 3,
		OnStateChange: func(ev breaker.StateChange) {
			fmt.Printf("%s: %s -> %s\n", ev.Name, ev.From, ev.To)
		},
	})
	if err != nil {
		panic(err)
	}
	schedule, err := backoff.New(backoff.Config{Kind: backoff.KindConstant,
		Initial: time.Millisecond})
	if err != nil {
		panic(err)
	}
	calls := 0
	transcribe := func(ctx context.Context) error {
		calls++
		return errors.New("503 service unavailable")
	}

	err = retry.Do(context.Background(), func(ctx context.Context) error {
		return b.Execute(ctx, transcribe)
	},
		retry.WithSchedule(schedule),
		retry.WithMaxAttempts(10),
		retry.OnRetry(func(e retry.RetryEvent) {
			fmt.Printf("attempt %d failed: %v\n", e.Attempt, e.Err)
		}))

	var stopped *retry.Error
	if errors.As(err, &stopped) {
		fmt.Printf("stopped after %d of 10 attempts: %s\n", stopped.Attempts, stopped.Reason)
	}
	fmt.Println("last attempt rejected by the open breaker:", errors.Is(err, breaker.ErrOpen))
	fmt.Println("calls that reached the service:", calls)
	// Output:
	// attempt 1 failed: 503 service unavailable
	// attempt 2 failed: 503 service unavailable
	// speech: closed -> open
	// attempt 3 failed: 503 service unavailable
	// stopped after 4 of 10 attempts: not retryable
	// last attempt rejected by the open breaker: true
	// calls that reached the service: 3
}
