// Command websocket keeps a WebSocket open to a local backend that
// restarts mid-stream and then goes down for good: it reconnects with
// backoff, subscribes again, delivers the commands queued during the
// outage, and finally gives up and names the command that was not sent. See
// package wsdemo for the wiring.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/websocket/wsdemo"
)

func main() {
	realTimings := flag.Bool("real-timings", false,
		"use the real timings (reconnects 1 s to 16 s apart) instead of 1/50 of them")
	jsonLines := flag.Bool("json", false, "print events as JSON lines")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	scale := 0.02
	if *realTimings {
		scale = 1
	}
	n := narrate.New(os.Stdout, *jsonLines)
	if _, err := wsdemo.Run(ctx, wsdemo.Config{Scale: scale, Narrator: n}); err != nil {
		fmt.Fprintln(os.Stderr, "websocket:", err)
		os.Exit(1)
	}
	fmt.Println()
	_ = n.WriteSummary(os.Stdout)
}
