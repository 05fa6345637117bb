// Command stt transcribes voice commands with a primary speech-to-text
// provider and a fallback, against local stand-ins that rate-limit, time
// out, go down, run out of quota and reject a corrupt recording. See
// package sttdemo for the wiring.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/stt/sttdemo"
)

func main() {
	realTimings := flag.Bool("real-timings", false,
		"use the real timings (10 s request timeout, 60 s open circuit) instead of 1/50 of them")
	jsonLines := flag.Bool("json", false, "print events as JSON lines")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	scale := 0.02
	if *realTimings {
		scale = 1
	}
	n := narrate.New(os.Stdout, *jsonLines)
	if _, err := sttdemo.Run(ctx, sttdemo.Config{Scale: scale, Narrator: n}); err != nil {
		fmt.Fprintln(os.Stderr, "stt:", err)
		os.Exit(1)
	}
	fmt.Println()
	_ = n.WriteSummary(os.Stdout)
}
