package sttdemo_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cowork-ai/resilience/examples/internal/standin"
	"github.com/cowork-ai/resilience/examples/internal/wav"
	"github.com/cowork-ai/resilience/examples/stt/sttdemo"
	"github.com/cowork-ai/resilience/report"
)

// A primary provider that answers too slowly hands the recording to the
// fallback; a corrupt recording is not retried anywhere.
func ExampleClient() {
	primary, _ := standin.NewProvider("primary", "key-primary")
	defer primary.Close()
	fallback, _ := standin.NewProvider("fallback", "key-fallback")
	defer fallback.Close()
	primary.Script(standin.Fault{Kind: standin.FaultSlow, Delay: time.Minute})

	client, err := sttdemo.NewClient(sttdemo.ClientConfig{
		Providers: []sttdemo.Provider{
			{Name: "primary", URL: primary.URL(), APIKey: "key-primary"},
			{Name: "fallback", URL: fallback.URL(), APIKey: "key-fallback"},
		},
		Timeout: 200 * time.Millisecond,
		OnFallback: func(from, to string, err error) {
			fmt.Printf("%s failed, trying %s\n", from, to)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	tr, err := client.Transcribe(context.Background(), wav.Speech("open the report", 1))
	fmt.Println(tr.Provider, tr.Text, err)

	_, err = client.Transcribe(context.Background(), wav.Speech("hello", 1)[:44])
	n := report.From(err)
	fmt.Println(n.Code, n.Retryable)
	// Output:
	// primary failed, trying fallback
	// fallback open the report <nil>
	// ERR-InvalidAudio false
}
