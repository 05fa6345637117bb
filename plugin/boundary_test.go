package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// TestValidityBoundaries checks the exact instants where a manifest
// starts and stops being accepted: it expires at ExpiresAt, and its issue
// time may be up to five minutes ahead of the host's clock.
func TestValidityBoundaries(t *testing.T) {
	m := newManifest("echo", "1.0.0")
	dir := writePlugin(t, testKey(1), m, "echo")
	for _, tc := range []struct {
		name   string
		now    time.Time
		reason plugin.Reason
	}{
		{"just before expiry", m.ExpiresAt.Add(-time.Nanosecond), plugin.ReasonNone},
		{"at expiry", m.ExpiresAt, plugin.ReasonExpired},
		{"issued five minutes ahead", m.IssuedAt.Add(-5 * time.Minute), plugin.ReasonNone},
		{"issued just over five minutes ahead", m.IssuedAt.Add(-5*time.Minute - time.Nanosecond), plugin.ReasonNotYetValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLoader(t, func(c *plugin.Config) { c.Now = func() time.Time { return tc.now } })
			_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
			if tc.reason == plugin.ReasonNone {
				if err != nil {
					t.Errorf("Verify at %v: %v, want success", tc.now, err)
				}
				return
			}
			checkRejected(t, err, tc.reason)
		})
	}
}

// TestHardLinkedFileIsCopied checks that a file hard-linked to one
// outside the plugin directory is verified and copied by content, so a
// later write through the other link does not reach the copy.
func TestHardLinkedFileIsCopied(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	outside := filepath.Join(t.TempDir(), "readme.txt")
	inside := filepath.Join(dir, "share", "readme.txt")
	if err := os.Link(inside, outside); err != nil {
		t.Skipf("hard links unsupported here: %v", err)
	}
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "echo"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer p.Close()
	if err := os.WriteFile(outside, []byte("changed through the other link\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(p.Dir(), "share", "readme.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "a plugin used by the tests\n" {
		t.Errorf("copy contains %q after a write through the other link, want the verified text", got)
	}
}

// TestFileReplacedByDirectory checks that a listed file replaced by a
// directory of the same name is rejected.
func TestFileReplacedByDirectory(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	p := filepath.Join(dir, "share", "readme.txt")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := l.Load(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonFileMissing)
}
