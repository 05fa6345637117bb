// Package plugindemo is the scenario of examples/plugin. It generates an
// Ed25519 key pair, signs a small plugin (a copy of the running binary,
// see [ServeIfPlugin]), and loads and calls it through package plugin.
// Then it shows a tampered copy rejected with a security event, a plugin
// with a missing dependency explained before launch, and a plugin that
// hangs killed at its timeout.
package plugindemo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/plugin"
	"github.com/cowork-ai/resilience/report"
)

// path names this scenario in the narration.
const path = "plugin"

// hostAPI is the plugin API version of this host.
const hostAPI = "1.4.0"

// The timings of the scenario before scaling.
const (
	callTimeout = 10 * time.Second // for one plugin request
	killGrace   = 2 * time.Second  // from SIGTERM to SIGKILL
)

// Config configures a run. The zero value runs with the real timings in a
// temporary directory, without narration.
type Config struct {
	// Scale multiplies the 10 s call timeout of the hanging plugin and the
	// 2 s grace between SIGTERM and SIGKILL. Zero means 1, the real
	// timings.
	Scale float64

	// Narrator receives the account of the run. Nil means silent.
	Narrator *narrate.Narrator

	// Dir is the directory that receives the plugins, their private
	// copies and the loader's state. Empty means a temporary directory
	// removed at the end.
	Dir string

	// Logger receives the loader's security events and one record per
	// failure the user is told about. Nil means silent.
	Logger *slog.Logger

	// Reporter turns failures into notices and logs them through Logger.
	// Nil means a zero report.Reporter.
	Reporter *report.Reporter

	// OnVerify and OnRun, when set, also receive the loader's events,
	// for example to feed metrics.
	OnVerify func(plugin.VerifyEvent)
	OnRun    func(plugin.RunEvent)
}

// Result is the outcome of a run.
type Result struct {
	// KeyID is the id of the generated signing key.
	KeyID string

	// Words is the signed plugin's reply to the request.
	Words int

	// Tampered is the reason the tampered copy was rejected.
	Tampered plugin.Reason

	// Missing lists the unmet dependencies of the plugin that needs them.
	Missing []plugin.Dependency

	// Hang is the outcome of the hanging plugin. HangKilled reports that
	// it ignored SIGTERM and had to be killed with SIGKILL.
	Hang       plugin.Outcome
	HangKilled bool

	// Notices are the reports of the failures the user was told about,
	// and Told the messages shown with them, in order.
	Notices []report.Notice
	Told    []string
}

// request is the text sent to the signed plugin.
const request = "open the quarterly report and summarise it"

// Run plays the scenario. The error is for a failure of the scenario
// itself, such as an unwritable directory; the failures it demonstrates
// are in Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "plugindemo-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if cfg.Reporter == nil {
		cfg.Reporter = &report.Reporter{}
	}
	s := &scenario{cfg: cfg, dir: dir, res: &Result{}, runs: make(chan plugin.RunEvent, 8)}
	if err := s.setUp(); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{s.runSigned, s.runTampered, s.runMissing, s.runHang}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	s.summarize()
	return s.res, nil
}

type scenario struct {
	cfg    Config
	dir    string
	key    ed25519.PrivateKey
	loader *plugin.Loader
	res    *Result
	runs   chan plugin.RunEvent
}

func (c Config) scaled(d time.Duration) time.Duration {
	if c.Scale <= 0 {
		return d
	}
	return time.Duration(float64(d) * c.Scale)
}

// setUp generates the key pair and builds the loader that trusts it.
func (s *scenario) setUp() error {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	s.key = key
	s.res.KeyID = plugin.KeyID(pub)
	s.cfg.Narrator.Info(path, "generated an Ed25519 signing key %s and pinned it", s.res.KeyID)
	s.loader, err = plugin.New(plugin.Config{
		TrustedKeys: []ed25519.PublicKey{pub},
		StateFile:   filepath.Join(s.dir, "state.json"),
		HostAPI:     hostAPI,
		CopyDir:     s.dir,
		Grace:       s.cfg.scaled(killGrace),
		Logger:      s.cfg.Logger,
		OnVerify:    s.cfg.OnVerify,
		OnRun: func(e plugin.RunEvent) {
			if s.cfg.OnRun != nil {
				s.cfg.OnRun(e)
			}
			s.runs <- e
		},
	})
	return err
}

// build writes a plugin directory holding a copy of this binary under the
// entry point name entry, and signs it.
func (s *scenario) build(name, entry string, requires plugin.Requirements) (string, error) {
	dir := filepath.Join(s.dir, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if err := copyFile(filepath.Join(dir, entry), self); err != nil {
		return "", err
	}
	now := time.Now()
	m := plugin.Manifest{
		ID:        name,
		Version:   "1.2.0",
		Entry:     entry,
		HostAPI:   plugin.APIRange{Min: "1.0.0", Max: "2.0.0"},
		Requires:  requires,
		IssuedAt:  now.Add(-time.Minute),
		ExpiresAt: now.Add(30 * 24 * time.Hour),
	}
	return dir, plugin.SignDir(dir, m, s.key)
}

// runSigned loads the signed plugin and sends it one request.
func (s *scenario) runSigned(ctx context.Context) error {
	dir, err := s.build("wordcount", entryWordCount, plugin.Requirements{})
	if err != nil {
		return err
	}
	p, err := s.loader.Load(ctx, dir, plugin.Ref{ID: "wordcount"})
	if err != nil {
		return fmt.Errorf("load the signed plugin: %w", err)
	}
	defer p.Close()
	s.cfg.Narrator.Info(path, "verified wordcount %s: signature by %s, %d file hashes match",
		p.Manifest().Version, s.res.KeyID, len(p.Manifest().Files))
	proc, err := p.Start(ctx)
	if err != nil {
		return err
	}
	defer proc.Close()
	// The call timeout is not scaled here, because the time this plugin
	// takes to start and answer does not shrink with the scale.
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var reply Reply
	if err := proc.Call(callCtx, Request{Text: request}, &reply); err != nil {
		return fmt.Errorf("call the signed plugin: %w", err)
	}
	s.res.Words = reply.Words
	s.cfg.Narrator.Info(path, "wordcount ran sandboxed as pid %d and answered %d words",
		proc.Pid(), reply.Words)
	return nil
}

// runTampered changes one byte of a signed plugin and loads it.
func (s *scenario) runTampered(ctx context.Context) error {
	dir, err := s.build("wordcount-tampered", entryWordCount, plugin.Requirements{})
	if err != nil {
		return err
	}
	if err := flipByte(filepath.Join(dir, entryWordCount)); err != nil {
		return err
	}
	s.cfg.Narrator.Failure(path, "someone changed one byte of a signed copy of wordcount")
	_, err = s.loader.Load(ctx, dir, plugin.Ref{ID: "wordcount-tampered"})
	var rejected *plugin.RejectedError
	if !errors.As(err, &rejected) {
		return fmt.Errorf("load the tampered plugin: got %v, want a rejection", err)
	}
	s.res.Tampered = rejected.Reason
	s.cfg.Narrator.Recovery(path, "rejected it before running anything (%s: %s) "+
		"and logged a security event", rejected.Reason, rejected.Detail)
	s.tell(ctx, err, "The plugin wordcount-tampered was blocked: its files do not match "+
		"what its publisher signed.")
	return nil
}

// runMissing loads a plugin whose dependencies this host lacks.
func (s *scenario) runMissing(ctx context.Context) error {
	requires := plugin.Requirements{
		Executables: []string{"resilience-example-ocr"},
		Env:         []string{"OCR_MODEL_PATH"},
	}
	dir, err := s.build("screen-reader", entryWordCount, requires)
	if err != nil {
		return err
	}
	p, err := s.loader.Load(ctx, dir, plugin.Ref{ID: "screen-reader"})
	if err != nil {
		return fmt.Errorf("load the plugin with dependencies: %w", err)
	}
	defer p.Close()

	proc, err := p.Start(ctx)
	var missing *plugin.MissingDependencyError
	if !errors.As(err, &missing) {
		if proc != nil {
			_ = proc.Close()
		}
		return fmt.Errorf("start the plugin with dependencies: got %v, want missing ones", err)
	}

	s.res.Missing = missing.Missing
	s.cfg.Narrator.Failure(path, "screen-reader needs %d things this host lacks",
		len(missing.Missing))
	s.cfg.Narrator.Recovery(path, "did not launch it; listed each missing dependency instead")
	var needs []string
	for _, d := range missing.Missing {
		needs = append(needs, d.Kind.String()+" "+d.Name)
	}
	s.tell(ctx, err, "The plugin screen-reader needs "+strings.Join(needs, " and ")+
		", which this computer does not provide.")
	return nil
}

// runHang calls a plugin that never answers and ignores SIGTERM.
func (s *scenario) runHang(ctx context.Context) error {
	dir, err := s.build("stuck", entryHang, plugin.Requirements{})
	if err != nil {
		return err
	}
	p, err := s.loader.Load(ctx, dir, plugin.Ref{ID: "stuck"})
	if err != nil {
		return fmt.Errorf("load the hanging plugin: %w", err)
	}
	defer p.Close()

	proc, err := p.Start(ctx)
	if err != nil {
		return err
	}
	// The first request, answered, makes sure the plugin ignores SIGTERM
	// before the one that times out.
	readyCtx, cancelReady := context.WithTimeout(ctx, callTimeout)
	defer cancelReady()
	if err := proc.Call(readyCtx, Request{}, nil); err != nil {
		_ = proc.Close()
		return fmt.Errorf("wait for the hanging plugin to start: %w", err)
	}
	timeout := s.cfg.scaled(callTimeout)
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = proc.Call(callCtx, Request{Text: request}, nil)
	_ = proc.Close()
	if err == nil {
		return errors.New("the hanging plugin returned a response")
	}

	// OnRun has delivered the process's end before Close returned.
	ev := <-s.runs
	for ev.Plugin != "stuck" {
		ev = <-s.runs
	}
	s.res.Hang, s.res.HangKilled = ev.Outcome, ev.Killed
	s.cfg.Narrator.Failure(path, "stuck did not answer within %s", timeout)
	s.cfg.Narrator.Recovery(path, "sent SIGTERM to its process group, then SIGKILL after %s; "+
		"no process survives (killed: %v)", s.cfg.scaled(killGrace), ev.Killed)
	s.tell(ctx, err, "The plugin stuck stopped responding and was closed.")
	return nil
}

// tell records the report of err and shows the user message, the text a
// user interface would display with the report's code.
func (s *scenario) tell(ctx context.Context, err error, message string) {
	n := s.cfg.Reporter.From(err)
	s.cfg.Reporter.Log(ctx, s.cfg.Logger, err, slog.String("path", path))
	s.res.Notices = append(s.res.Notices, n)
	s.res.Told = append(s.res.Told, message)
	s.cfg.Narrator.Notice(path, n.Code, message, n.Retryable)
}

// summarize adds the scenario's rows to the summary table.
func (s *scenario) summarize() {
	// row returns a summary row that reports notice i.
	row := func(i int, failure, recovery string) narrate.Row {
		r := narrate.Row{Path: path, Failure: failure, Recovery: recovery, Told: "nothing"}
		if i < len(s.res.Notices) {
			r.Codes, r.Told = []string{s.res.Notices[i].Code}, s.res.Told[i]
		}
		return r
	}
	n := s.cfg.Narrator
	n.Outcome(row(0, "a plugin file was tampered with",
		"rejected before launch ("+s.res.Tampered.String()+"); security event"))
	n.Outcome(row(1, fmt.Sprintf("%d dependencies missing", len(s.res.Missing)),
		"not launched; each one explained"))
	n.Outcome(row(2, "a plugin hung",
		"process group killed at the timeout ("+s.res.Hang.String()+")"))
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// flipByte inverts the bits of the byte in the middle of a file, keeping
// its size, so that only the content hash can tell.
func flipByte(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	b := make([]byte, 1)
	off := info.Size() / 2
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] = ^b[0]
	if _, err := f.WriteAt(b, off); err != nil {
		return err
	}
	return f.Close()
}
