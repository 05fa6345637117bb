package plugin_test

import (
	"context"
	"testing"

	"github.com/cowork-ai/resilience/plugin"
)

// benchLoad loads a plugin that runs the test binary in mode.
func benchLoad(b *testing.B, mode string) *plugin.Plugin {
	b.Helper()
	dir := b.TempDir()
	writeFile(b, dir, "bin/run", helperScript(b, mode), 0o755)
	if err := plugin.SignDir(dir, newManifest("bench", "1.0.0"), testKey(1)); err != nil {
		b.Fatal(err)
	}
	l, err := plugin.New(plugin.Config{
		TrustedKeys: benchKeys(), CopyDir: b.TempDir(), Grace: testGrace,
		Limits: plugin.Limits{AddressSpace: testAddressSpace},
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkCall measures one request and reply over the pipes of a
// running echo plugin.
func BenchmarkCall(b *testing.B) {
	p := benchLoad(b, "echo")
	pr, err := p.Start(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer pr.Close()
	req := map[string]string{"text": "hello"}
	var resp map[string]string
	b.ReportAllocs()
	for b.Loop() {
		if err := pr.Call(context.Background(), req, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartClose measures starting a plugin process with its limits,
// one call, and stopping its process group.
func BenchmarkStartClose(b *testing.B) {
	p := benchLoad(b, "echo")
	b.ReportAllocs()
	for b.Loop() {
		pr, err := p.Start(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if err := pr.Call(context.Background(), 1, nil); err != nil {
			b.Fatal(err)
		}
		pr.Close()
	}
}
