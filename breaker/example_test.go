package breaker_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cowork-ai/resilience/breaker"
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
	transcribe := func(ctx context.Context) error {
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
