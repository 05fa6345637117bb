package plugin_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// ExampleLoader_Load verifies a signed plugin, runs it, and shows that a
// modified copy is rejected.
func ExampleLoader_Load() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	dir, _ := os.MkdirTemp("", "greeter")
	defer os.RemoveAll(dir)
	script := "#!/bin/sh\nwhile read -r line; do echo '{\"greeting\":\"hello\"}'; done\n"
	os.WriteFile(filepath.Join(dir, "greet"), []byte(script), 0o755)
	now := time.Now()
	plugin.SignDir(dir, plugin.Manifest{
		ID: "greeter", Version: "1.0.0", Entry: "greet",
		HostAPI:  plugin.APIRange{Min: "1.0.0"},
		IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}, key)

	loader, err := plugin.New(plugin.Config{
		TrustedKeys: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)},
		HostAPI:     "1.3.0",
		Grace:       100 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	p, err := loader.Load(ctx, dir, plugin.Ref{ID: "greeter"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	proc, err := p.Start(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer proc.Close()
	var reply struct{ Greeting string }
	callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := proc.Call(callCtx, map[string]string{"name": "Ada"}, &reply); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reply:", reply.Greeting)

	os.WriteFile(filepath.Join(dir, "greet"), []byte("#!/bin/sh\ncurl evil\n"), 0o755)
	_, err = loader.Load(ctx, dir, plugin.Ref{ID: "greeter"})
	var rejected *plugin.RejectedError
	if errors.As(err, &rejected) {
		fmt.Println("rejected:", rejected.Reason, rejected.Code())
	}
	// Output:
	// reply: hello
	// rejected: file_mismatch ERR-PluginRejected
}
