package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/plugin/plugindemo"
	"github.com/cowork-ai/resilience/examples/stt/sttdemo"
	"github.com/cowork-ai/resilience/examples/websocket/wsdemo"
	"github.com/cowork-ai/resilience/redact"
	"github.com/cowork-ai/resilience/report"
)

// defaultScale is the factor applied to every real timing by default, so
// that a run takes seconds instead of minutes.
const defaultScale = 0.02

// options are the command-line settings.
type options struct {
	scale       float64
	jsonLines   bool
	serve       bool
	metricsAddr string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("assistant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	realTimings := fs.Bool("real-timings", false,
		"use the real timings (30 s step timeout, 60 s open circuit, ...); a run takes minutes")
	fs.Float64Var(&o.scale, "scale", defaultScale,
		"factor applied to every real timing; ignored with -real-timings")
	fs.BoolVar(&o.jsonLines, "json", false, "print events as JSON lines instead of text")
	fs.BoolVar(&o.serve, "serve", false,
		"keep serving /metrics after the run until interrupted, for Prometheus to scrape")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "127.0.0.1:0",
		"address of the /metrics server; port 0 picks a free port")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *realTimings {
		o.scale = 1
	}
	if o.scale <= 0 || o.scale > 1 {
		return o, fmt.Errorf("invalid -scale %v: want a factor in (0, 1]", o.scale)
	}
	return o, nil
}

// run is the whole program: it returns the exit code. getenv reads the
// environment, as os.Getenv does.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "assistant:", err)
		return 2
	}
	a, err := newAssistant(opts, getenv, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "assistant:", err)
		return 1
	}
	defer a.close()
	if err := a.runAll(ctx); err != nil {
		fmt.Fprintln(stderr, "assistant:", err)
		return 1
	}
	if err := a.finish(ctx); err != nil {
		fmt.Fprintln(stderr, "assistant:", err)
		return 1
	}
	return 0
}

// assistant holds what every path shares: the narration, the redacting
// logger, the metrics and the API keys.
type assistant struct {
	opts     options
	out      io.Writer
	narrator *narrate.Narrator
	logger   *slog.Logger
	reporter *report.Reporter
	metrics  *metricsServer
	workDir  string

	primaryKey, fallbackKey string
}

func newAssistant(opts options, getenv func(string) string, stdout, stderr io.Writer) (
	*assistant, error) {
	a := &assistant{
		opts:        opts,
		out:         stdout,
		narrator:    narrate.New(stdout, opts.jsonLines),
		primaryKey:  cmp.Or(getenv(primaryKeyEnv), "AIzaSy"+randomKey(33)),
		fallbackKey: cmp.Or(getenv(fallbackKeyEnv), "sk-proj-"+randomKey(40)),
	}
	// The redactor holds the keys this process loaded, so it removes them
	// wherever they appear, even in a form no pattern recognises.
	redactor, err := redact.New(redact.Config{Secrets: []string{a.primaryKey, a.fallbackKey}})
	if err != nil {
		return nil, err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if opts.jsonLines {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	a.logger = slog.New(redactor.NewHandler(handler))
	a.reporter = &report.Reporter{Redactor: redactor}
	if a.workDir, err = os.MkdirTemp("", "assistant-"); err != nil {
		return nil, err
	}
	if a.metrics, err = startMetrics(opts.metricsAddr, a.logger); err != nil {
		os.RemoveAll(a.workDir)
		return nil, err
	}
	return a, nil
}

func (a *assistant) close() {
	a.metrics.close()
	_ = os.RemoveAll(a.workDir)
}

// runAll runs every path in turn.
func (a *assistant) runAll(ctx context.Context) error {
	n := a.narrator
	n.Info("assistant", "serving metrics at %s", a.metrics.url)
	a.logger.Info("speech-to-text providers configured",
		slog.Group("primary", "api_key", a.primaryKey),
		slog.Group("fallback", "authorization", "Bearer "+a.fallbackKey))
	n.Info("assistant", "logged the provider settings; the log shows each API key redacted")
	paths := []struct {
		name string
		run  func(context.Context) error
	}{
		{"stt", a.runSTT},
		{"websocket", a.runWebSocket},
		{"plan", a.runPlan},
		{"plugin", a.runPlugin},
		{"session", a.runDegradedSession},
	}
	for _, p := range paths {
		if err := p.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}

// Each path reports the failures it shows the user through a.reporter,
// which logs them through the redacting logger.

func (a *assistant) runSTT(ctx context.Context) error {
	_, err := sttdemo.Run(ctx, sttdemo.Config{
		Scale:         a.opts.scale,
		Narrator:      a.narrator,
		Logger:        a.logger,
		Reporter:      a.reporter,
		PrimaryKey:    a.primaryKey,
		FallbackKey:   a.fallbackKey,
		OnRetry:       a.metrics.sttRetry,
		OnStateChange: a.metrics.m.BreakerHook(),
		Transport:     a.metrics.m.RoundTripper,
	})
	return err
}

func (a *assistant) runWebSocket(ctx context.Context) error {
	onAttempt, onDisconnect := a.metrics.m.WebSocketHooks()
	_, err := wsdemo.Run(ctx, wsdemo.Config{
		Scale:        a.opts.scale,
		Narrator:     a.narrator,
		Logger:       a.logger,
		Reporter:     a.reporter,
		OnAttempt:    onAttempt,
		OnDisconnect: onDisconnect,
	})
	return err
}

func (a *assistant) runPlugin(ctx context.Context) error {
	onVerify, onRun := a.metrics.m.PluginHooks()
	_, err := plugindemo.Run(ctx, plugindemo.Config{
		Scale:    a.opts.scale,
		Narrator: a.narrator,
		Logger:   a.logger,
		Reporter: a.reporter,
		OnVerify: onVerify,
		OnRun:    onRun,
	})
	return err
}

// finish prints the summary table and the metrics the run produced, then,
// with -serve, keeps serving /metrics until ctx is done.
func (a *assistant) finish(ctx context.Context) error {
	if !a.opts.jsonLines {
		fmt.Fprintln(a.out)
		if err := a.narrator.WriteSummary(a.out); err != nil {
			return err
		}
	}
	if err := a.metrics.printSnapshot(ctx, a.narrator); err != nil {
		return err
	}
	if a.opts.serve {
		a.narrator.Info("assistant", "serving metrics at %s until interrupted", a.metrics.url)
		<-ctx.Done()
	}
	return nil
}

// The environment variables that hold the providers' API keys. The
// stand-ins accept any key, so when they are unset the assistant makes up
// keys in the providers' formats.
const (
	primaryKeyEnv  = "STT_PRIMARY_API_KEY"
	fallbackKeyEnv = "STT_FALLBACK_API_KEY"
)

// randomKey returns n random characters of an API key's alphabet.
func randomKey(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
