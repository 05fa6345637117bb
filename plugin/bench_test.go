package plugin_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cowork-ai/resilience/plugin"
)

const benchFiles, benchFileSize = 10, 1 << 20

// benchPlugin writes a signed plugin of 10 files of 1 MiB each.
func benchPlugin(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, benchFileSize)
	for i := range benchFiles {
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		name := fmt.Sprintf("lib/part%02d.bin", i)
		if i == 0 {
			name = "bin/run"
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if err := plugin.SignDir(dir, newManifest("bench", "1.0.0"), testKey(1)); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkHashOnce is the baseline: reading and hashing the plugin's
// files once, with nothing else.
func BenchmarkHashOnce(b *testing.B) {
	dir := benchPlugin(b)
	m, err := plugin.New(plugin.Config{TrustedKeys: benchKeys()})
	if err != nil {
		b.Fatal(err)
	}
	man, err := m.Verify(context.Background(), dir, plugin.Ref{ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFiles * benchFileSize)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range man.Files {
			fh, err := os.Open(filepath.Join(dir, f.Path))
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			io.Copy(h, fh)
			fh.Close()
			h.Sum(nil)
		}
	}
}

// BenchmarkVerify verifies the signature, manifest, tree and every file.
func BenchmarkVerify(b *testing.B) {
	dir := benchPlugin(b)
	l, err := plugin.New(plugin.Config{TrustedKeys: benchKeys()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFiles * benchFileSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad verifies and also writes the private copy, then removes it.
func BenchmarkLoad(b *testing.B) {
	dir := benchPlugin(b)
	l, err := plugin.New(plugin.Config{TrustedKeys: benchKeys(), CopyDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFiles * benchFileSize)
	b.ReportAllocs()
	for b.Loop() {
		p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	dir := benchPlugin(b)
	l, err := plugin.New(plugin.Config{TrustedKeys: benchKeys()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFiles * benchFileSize)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "bench"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
