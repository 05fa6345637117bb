// Command assistant runs every path of the module's reference wiring in one
// process, against local stand-ins on 127.0.0.1. The paths are
// speech-to-text with a fallback provider, a WebSocket to a backend that
// restarts, a plan on a fake desktop gated by a time-boxed permission
// grant, and signed plugins. The program narrates each failure and
// recovery, reports every failure as the user would see it, logs through a
// redacting handler, serves /metrics while it runs, and ends with a summary
// table.
//
// Usage:
//
//	go run ./examples/assistant [-real-timings] [-json] [-serve] [-metrics-addr 127.0.0.1:9464]
//
// By default every timing is 1/50 of the real one, so the run takes a few
// seconds. The scenarios live in the importable packages sttdemo, wsdemo,
// plandemo and plugindemo, which the single-path programs run too.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cowork-ai/resilience/examples/plugin/plugindemo"
)

func main() {
	// The plugin scenario re-executes this binary as its plugins.
	plugindemo.ServeIfPlugin()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
