package backoff_test

import (
	"fmt"
	"time"

	cenkalti "github.com/cenkalti/backoff/v4"

	"github.com/cowork-ai/resilience/backoff"
)

func ExampleNetwork() {
	p := backoff.Network()
	for attempt := 1; attempt <= p.MaxRetries(); attempt++ {
		// Delay is the delay before jitter; a Sequence applies equal
		// jitter, keeping each wait within [Delay/2, Delay].
		fmt.Printf("retry %d: up to %v\n", attempt, p.Delay(attempt))
	}
	// Output:
	// retry 1: up to 1s
	// retry 2: up to 2s
	// retry 3: up to 4s
	// retry 4: up to 8s
	// retry 5: up to 16s
}

func ExampleStorage() {
	seq := backoff.Storage().Start()
	for {
		d, ok := seq.Next()
		if !ok {
			break
		}
		fmt.Println(d)
	}
	// Output:
	// 0s
	// 100ms
	// 200ms
	// 300ms
	// 400ms
}

func ExampleNew() {
	p, err := backoff.New(backoff.Config{
		Initial:    100 * time.Millisecond,
		Multiplier: 3,
		Max:        2 * time.Second,
		Jitter:     backoff.JitterEqual,
		MaxRetries: 5,
		Seed:       1, // reproducible jitter, for tests and this example
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	seq := p.Start()
	for attempt := 1; ; attempt++ {
		d, ok := seq.Next()
		if !ok {
			fmt.Println("no retry left")
			break
		}
		fmt.Printf("retry %d: %v in [%v, %v]\n",
			attempt, d.Round(time.Millisecond), p.Delay(attempt)/2, p.Delay(attempt))
	}
	// Output:
	// retry 1: 50ms in [50ms, 100ms]
	// retry 2: 285ms in [150ms, 300ms]
	// retry 3: 511ms in [450ms, 900ms]
	// retry 4: 1.087s in [1s, 2s]
	// retry 5: 1.715s in [1s, 2s]
	// no retry left
}

func ExampleNew_invalid() {
	_, err := backoff.New(backoff.Config{Multiplier: 0.5})
	fmt.Println(err)
	// Output:
	// backoff: Multiplier 0.5 is below 1
}

func ExamplePolicy_BackOff() {
	p, _ := backoff.New(backoff.Config{Initial: time.Second, Max: 3 * time.Second, MaxRetries: 3})
	var b cenkalti.BackOff = p.BackOff() // usable with cenkalti.Retry
	for {
		d := b.NextBackOff()
		if d == cenkalti.Stop {
			fmt.Println("stop")
			break
		}
		fmt.Println(d)
	}
	// Output:
	// 1s
	// 2s
	// 3s
	// stop
}

func ExampleFromBackOff() {
	s := backoff.FromBackOff(func() cenkalti.BackOff {
		return cenkalti.WithMaxRetries(cenkalti.NewConstantBackOff(250*time.Millisecond), 2)
	})
	seq := s.Start()
	for {
		d, ok := seq.Next()
		if !ok {
			break
		}
		fmt.Println(d)
	}
	// Output:
	// 250ms
	// 250ms
}
