package plugin_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// ExampleSignDir signs a plugin directory. The publisher keeps the private
// key; the host pins the public key's id.
func ExampleSignDir() {
	// A fixed seed keeps the output stable; use ed25519.GenerateKey with
	// crypto/rand.Reader for real keys.
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	dir, _ := os.MkdirTemp("", "greeter")
	defer os.RemoveAll(dir)
	os.Mkdir(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "greet"), []byte("#!/bin/sh\necho hi\n"), 0o755)

	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := plugin.SignDir(dir, plugin.Manifest{
		ID:        "greeter",
		Version:   "1.0.0",
		Entry:     "bin/greet",
		HostAPI:   plugin.APIRange{Min: "1.0.0", Max: "2.0.0"},
		IssuedAt:  issued,
		ExpiresAt: issued.AddDate(1, 0, 0),
	}, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("key id:", plugin.KeyID(key.Public().(ed25519.PublicKey)))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	// Output:
	// key id: 139e3940e64b5491
	// bin
	// plugin.json
	// plugin.sig
}
