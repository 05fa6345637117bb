// Command plugin signs a small plugin with a fresh Ed25519 key, loads and
// calls it in a sandboxed subprocess, then shows a tampered copy rejected,
// a missing dependency explained and a hanging plugin killed at its
// timeout. See package plugindemo for the wiring.
//
// The plugins are copies of this binary: started under a plugin's name, it
// acts as that plugin.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/plugin/plugindemo"
)

func main() {
	plugindemo.ServeIfPlugin()

	realTimings := flag.Bool("real-timings", false,
		"use the real timings (10 s call timeout, 2 s kill grace) instead of 1/50 of them")
	jsonLines := flag.Bool("json", false, "print events as JSON lines")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	scale := 0.02
	if *realTimings {
		scale = 1
	}
	n := narrate.New(os.Stdout, *jsonLines)
	opts := &slog.HandlerOptions{Level: slog.LevelWarn}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if *jsonLines {
		handler = slog.NewJSONHandler(os.Stderr, opts)
	}
	logger := slog.New(handler)
	cfg := plugindemo.Config{Scale: scale, Narrator: n, Logger: logger}
	if _, err := plugindemo.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		os.Exit(1)
	}
	fmt.Println()
	_ = n.WriteSummary(os.Stdout)
}
