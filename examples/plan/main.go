// Command plan runs a multi-step plan on a fake desktop with ranked
// strategy fallback, a step timeout, a pause when the target window closes,
// and rollback when a later step fails. See package plandemo for the
// wiring.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/plan/plandemo"
)

func main() {
	realTimings := flag.Bool("real-timings", false,
		"use the real timings (30 s step timeout) instead of 1/50 of them")
	jsonLines := flag.Bool("json", false, "print events as JSON lines")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	scale := 0.02
	if *realTimings {
		scale = 1
	}
	n := narrate.New(os.Stdout, *jsonLines)
	if _, err := plandemo.Run(ctx, plandemo.Config{Scale: scale, Narrator: n}); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
	fmt.Println()
	_ = n.WriteSummary(os.Stdout)
}
