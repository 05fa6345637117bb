package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cowork-ai/resilience/plugin"
)

// TestCompareVersionsHugeNumbers checks numeric pre-release identifiers
// too long for 64 bits: they still compare as numbers, so a rollback
// between two of them is caught.
func TestCompareVersionsHugeNumbers(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0-100000000000000000000", "1.0.0-99999999999999999999", 1},
		{"1.0.0-99999999999999999999", "1.0.0-99999999999999999999", 0},
		{"1.0.0-99999999999999999999", "1.0.0-5", 1},
		{"1.0.0-99999999999999999999", "1.0.0-alpha", -1},
		{"1.0.0-rc.18446744073709551616", "1.0.0-rc.18446744073709551615", 1},
		{"18446744073709551615.0.0", "18446744073709551614.99.99", 1},
		{"1.0.0-0a", "1.0.0-0", 1},
		{"1.0.0+001", "1.0.0", 0},
	} {
		got, err := plugin.CompareVersions(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
}

// TestSharedStateFileKeepsMarks checks that two Loaders writing the same
// state file keep each other's high-water marks.
func TestSharedStateFileKeepsMarks(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plugins.state")
	first, _ := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	second, _ := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	load := func(l *plugin.Loader, id, version string) error {
		dir := writePlugin(t, testKey(1), newManifest(id, version), "echo")
		p, err := l.Load(context.Background(), dir, plugin.Ref{ID: id})
		if err == nil {
			p.Close()
		}
		return err
	}
	if err := load(first, "alpha", "2.0.0"); err != nil {
		t.Fatalf("first Load alpha 2.0.0: %v", err)
	}
	if err := load(second, "beta", "1.0.0"); err != nil {
		t.Fatalf("second Load beta 1.0.0: %v", err)
	}
	// The second Loader learns the mark the first one saved.
	checkRejected(t, load(second, "alpha", "1.0.0"), plugin.ReasonRollback)

	restarted, _ := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	checkRejected(t, load(restarted, "alpha", "1.0.0"), plugin.ReasonRollback)
}

// TestConcurrentLoadsKeepHighestMark checks that Loads racing on one
// state file leave the highest version as the mark.
func TestConcurrentLoadsKeepHighestMark(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plugins.state")
	versions := []string{"1.0.0", "1.0.1", "1.2.0", "1.1.0", "1.0.2", "1.1.9"}
	dirs := make([]string, len(versions))
	for i, v := range versions {
		dirs[i] = writePlugin(t, testKey(1), newManifest("echo", v), "echo")
	}
	loaders := make([]*plugin.Loader, 3)
	for i := range loaders {
		loaders[i], _ = newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	}
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			// A rollback error is expected for some orders.
			if p, err := loaders[i%len(loaders)].Load(context.Background(), dir, plugin.Ref{ID: "echo"}); err == nil {
				p.Close()
			}
		})
	}
	wg.Wait()
	restarted, _ := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	_, err := restarted.Verify(context.Background(), dirs[3], plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonRollback)
	if _, err := restarted.Verify(context.Background(), dirs[2], plugin.Ref{ID: "echo"}); err != nil {
		t.Errorf("Verify of the highest version 1.2.0 after concurrent Loads: %v", err)
	}
}

// TestStateFileCorruptedAfterStart checks that a state file damaged while
// the host runs does not let a rollback load.
func TestStateFileCorruptedAfterStart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plugins.state")
	l, _ := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	newer := writePlugin(t, testKey(1), newManifest("echo", "2.0.0"), "echo")
	p, err := l.Load(context.Background(), newer, plugin.Ref{ID: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := os.WriteFile(state, []byte("{\"highest\":"), 0o600); err != nil {
		t.Fatal(err)
	}
	older := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	p, err = l.Load(context.Background(), older, plugin.Ref{ID: "echo"})
	if err == nil {
		p.Close()
		t.Fatal("Load of a rollback succeeded after the state file was damaged")
	}
}
