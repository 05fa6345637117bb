package plugin_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// testGrace keeps the SIGTERM-to-SIGKILL wait short so the tests run in
// seconds.
const testGrace = 200 * time.Millisecond

func newManifest(id, version string) plugin.Manifest {
	now := time.Now().Truncate(time.Second)
	return plugin.Manifest{
		ID:        id,
		Version:   version,
		Entry:     "bin/run",
		HostAPI:   plugin.APIRange{Min: "1.0.0", Max: "2.0.0"},
		IssuedAt:  now.Add(-time.Hour),
		ExpiresAt: now.Add(24 * time.Hour),
	}
}

// helperScript returns an entry point that runs the test binary as the
// plugin in the given mode.
func helperScript(t testing.TB, mode string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("#!/bin/sh\nexec '%s' %s %s\n", exe, helperArg, mode)
}

func writeFile(t testing.TB, dir, rel, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// writePlugin creates a plugin directory signed by key whose entry point
// runs the test binary in mode.
func writePlugin(t *testing.T, key ed25519.PrivateKey, m plugin.Manifest, mode string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "bin/run", helperScript(t, mode), 0o755)
	writeFile(t, dir, "share/readme.txt", "a plugin used by the tests\n", 0o644)
	if err := plugin.SignDir(dir, m, key); err != nil {
		t.Fatalf("SignDir: %v", err)
	}
	return dir
}

// recorder collects hook events and log records.
type recorder struct {
	mu      sync.Mutex
	verify  []plugin.VerifyEvent
	runs    []plugin.RunEvent
	logBuf  bytes.Buffer
	logger  *slog.Logger
	logLock sync.Mutex
}

func (r *recorder) onVerify(ev plugin.VerifyEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verify = append(r.verify, ev)
}

func (r *recorder) onRun(ev plugin.RunEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, ev)
}

func (r *recorder) runEvents() []plugin.RunEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]plugin.RunEvent(nil), r.runs...)
}

func (r *recorder) verifyEvents() []plugin.VerifyEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]plugin.VerifyEvent(nil), r.verify...)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.logLock.Lock()
	defer r.logLock.Unlock()
	return r.logBuf.Write(p)
}

func (r *recorder) logs() string {
	r.logLock.Lock()
	defer r.logLock.Unlock()
	return r.logBuf.String()
}

// newLoader returns a Loader that trusts testKey(1), with short grace
// periods and hooks recorded in the returned recorder.
func newLoader(t *testing.T, edit func(*plugin.Config)) (*plugin.Loader, *recorder) {
	t.Helper()
	rec := &recorder{}
	rec.logger = slog.New(slog.NewJSONHandler(rec, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := plugin.Config{
		TrustedKeys: []ed25519.PublicKey{testKey(1).Public().(ed25519.PublicKey)},
		HostAPI:     "1.2.0",
		CopyDir:     t.TempDir(),
		Env:         []string{"PATH"},
		Grace:       testGrace,
		// The race detector reserves terabytes of address space, so the
		// re-executed test binary cannot run under an address space limit.
		Limits:   plugin.Limits{AddressSpace: testAddressSpace},
		Logger:   rec.logger,
		OnVerify: rec.onVerify,
		OnRun:    rec.onRun,
	}
	if edit != nil {
		edit(&cfg)
	}
	l, err := plugin.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l, rec
}

func benchKeys() []ed25519.PublicKey {
	return []ed25519.PublicKey{testKey(1).Public().(ed25519.PublicKey)}
}
