package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKeygenSignVerify(t *testing.T) {
	work := t.TempDir()
	key := filepath.Join(work, "release")
	var out bytes.Buffer
	if err := run([]string{"keygen", "-out", key}, &out, time.Now); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	info, err := os.Stat(key + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("private key mode = %v, want 0600", perm)
	}
	if err := run([]string{"keygen", "-out", key}, &out, time.Now); err == nil {
		t.Error("keygen overwrote an existing private key")
	}

	dir := filepath.Join(work, "hello")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "hello"), []byte("#!/bin/sh\ncat\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"sign", "-key", key + ".key", "-id", "hello", "-version", "1.0.0",
		"-entry", "bin/hello", "-host-api-min", "1.0.0", "-requires-exec", "cat", dir}, &out, time.Now)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	out.Reset()
	if err := run([]string{"verify", "-pub", key + ".pub", "-id", "hello", dir}, &out, time.Now); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !strings.HasPrefix(out.String(), "verified hello 1.0.0: 1 files") {
		t.Errorf("verify printed %q", out.String())
	}

	if err := os.WriteFile(filepath.Join(dir, "bin", "hello"), []byte("#!/bin/sh\nrm\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"verify", "-pub", key + ".pub", "-id", "hello", dir}, &out, time.Now)
	if err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("verify of a changed file: err = %v, want a rejection", err)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"sign", "dir"}, {"keygen"}} {
		if err := run(args, &bytes.Buffer{}, time.Now); err == nil {
			t.Errorf("run(%q) succeeded, want a usage error", args)
		}
	}
}
