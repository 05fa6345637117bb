package plugin_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cowork-ai/resilience/plugin"
)

func TestKeyRoundTrip(t *testing.T) {
	key := testKey(7)
	pub := key.Public().(ed25519.PublicKey)
	gotPub, err := plugin.ParsePublicKey(plugin.MarshalPublicKey(pub))
	if err != nil || !gotPub.Equal(pub) {
		t.Fatalf("ParsePublicKey(MarshalPublicKey) = %x, %v; want %x", gotPub, err, pub)
	}
	gotKey, err := plugin.ParsePrivateKey(plugin.MarshalPrivateKey(key))
	if err != nil || !gotKey.Equal(key) {
		t.Fatalf("ParsePrivateKey(MarshalPrivateKey) failed: %v", err)
	}
	// A key line whose id names another key is rejected.
	other := plugin.MarshalPublicKey(testKey(8).Public().(ed25519.PublicKey))
	forged := bytes.Replace(plugin.MarshalPublicKey(pub), []byte(plugin.KeyID(pub)), bytes.Fields(other)[1], 1)
	if _, err := plugin.ParsePublicKey(forged); err == nil {
		t.Error("ParsePublicKey accepted a key id that does not match the key")
	}
	if _, err := plugin.ParsePrivateKey(plugin.MarshalPublicKey(pub)); err == nil {
		t.Error("ParsePrivateKey accepted a public key")
	}
}

// TestSignatureIsDomainSeparated checks that a plain Ed25519 signature
// over the manifest bytes, as another protocol using the same key would
// make, is not accepted.
func TestSignatureIsDomainSeparated(t *testing.T) {
	l, _ := newLoader(t, nil)
	key := testKey(1)
	dir := writePlugin(t, key, newManifest("echo", "1.0.0"), "echo")
	data, err := os.ReadFile(filepath.Join(dir, plugin.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := json.Marshal(map[string]string{
		"key_id":    plugin.KeyID(key.Public().(ed25519.PublicKey)),
		"algorithm": "ed25519",
		"signature": base64.StdEncoding.EncodeToString(ed25519.Sign(key, data)),
	})
	writeFile(t, dir, plugin.SignatureFile, string(sig), 0o644)
	_, err = l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonSignatureInvalid)
}

func TestSignRejectsShortKey(t *testing.T) {
	if _, err := plugin.Sign([]byte("{}"), ed25519.PrivateKey{1, 2, 3}); err == nil {
		t.Error("Sign accepted a 3-byte key")
	}
}

func TestSignDirRejectsSymlink(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bin/run", "#!/bin/sh\n", 0o755)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")); err != nil {
		t.Fatal(err)
	}
	if err := plugin.SignDir(dir, newManifest("echo", "1.0.0"), testKey(1)); err == nil {
		t.Error("SignDir signed a directory holding a symbolic link")
	}
}
