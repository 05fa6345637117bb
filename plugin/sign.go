package plugin

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// signatureContext separates plugin manifest signatures from every other
// use of the same Ed25519 key: a signature made here never verifies as a
// signature over the same bytes in another protocol, and the reverse.
const signatureContext = "github.com/cowork-ai/resilience/plugin manifest v1\x00"

// Key file headers, one line each, followed by the base64 key.
const (
	publicKeyHeader  = "resilience-plugin-ed25519-public"
	privateKeyHeader = "resilience-plugin-ed25519-private"
)

// signature is the content of plugin.sig.
type signature struct {
	// KeyID is the id of the public key that verifies the signature.
	KeyID string `json:"key_id"`
	// Algorithm is always "ed25519".
	Algorithm string `json:"algorithm"`
	// Signature is the standard base64 Ed25519 signature over
	// signedMessage(KeyID, manifest).
	Signature string `json:"signature"`
}

// KeyID returns the id that pins pub: the first 16 hex digits of its
// SHA-256 digest.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// signedMessage returns the bytes the signature covers: the context
// string, then the key id and the manifest, each preceded by its length
// as a big-endian uint64. Binding the key id stops a signature from being
// presented under another key's id.
func signedMessage(keyID string, manifest []byte) []byte {
	msg := make([]byte, 0, len(signatureContext)+16+len(keyID)+len(manifest))
	msg = append(msg, signatureContext...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(keyID)))
	msg = append(msg, keyID...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(manifest)))
	return append(msg, manifest...)
}

// Sign returns the content of plugin.sig for the manifest bytes, signed
// with key. The manifest bytes are signed as they are, so write exactly
// these bytes to plugin.json.
func Sign(manifest []byte, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("plugin: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	id := KeyID(key.Public().(ed25519.PublicKey))
	sig := signature{
		KeyID:     id,
		Algorithm: "ed25519",
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, signedMessage(id, manifest))),
	}
	out, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// SignDir completes m with the SHA-256 digest and size of every regular
// file under dir (plugin.json and plugin.sig excepted), then writes
// dir/plugin.json and dir/plugin.sig. The caller sets every other field of
// m. It fails on a symbolic link, device or other irregular file, and on
// a manifest larger than 1 MiB, because Load would reject either.
func SignDir(dir string, m Manifest, key ed25519.PrivateKey) error {
	files, err := hashTree(dir)
	if err != nil {
		return err
	}
	m.Files = files
	if _, err := m.validate(); err != nil {
		return fmt.Errorf("plugin: invalid manifest: %w", err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if len(data) > maxManifestBytes {
		return fmt.Errorf("plugin: manifest of %d bytes is larger than the %d bytes Load accepts", len(data), maxManifestBytes)
	}
	sig, err := Sign(data, key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SignatureFile), sig, 0o644); err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	return nil
}

// hashTree returns a File for every regular file under dir in lexical
// order, skipping the metadata files at the root. A dir that is itself a
// symbolic link is followed, as Load follows it.
func hashTree(dir string) ([]File, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin: hash %s: %w", dir, err)
	}
	var files []File
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() || rel == ManifestFile || rel == SignatureFile {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s)", rel, d.Type())
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		files = append(files, File{Path: rel, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("plugin: hash %s: %w", dir, err)
	}
	return files, nil
}

// MarshalPublicKey encodes pub as one line of text:
// "resilience-plugin-ed25519-public KEYID BASE64".
func MarshalPublicKey(pub ed25519.PublicKey) []byte {
	return fmt.Appendf(nil, "%s %s %s\n", publicKeyHeader, KeyID(pub), base64.StdEncoding.EncodeToString(pub))
}

// ParsePublicKey decodes a key written by MarshalPublicKey and checks that
// its key id matches.
func ParsePublicKey(text []byte) (ed25519.PublicKey, error) {
	raw, err := parseKeyLine(text, publicKeyHeader)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(raw), nil
}

// MarshalPrivateKey encodes the seed of key as one line of text:
// "resilience-plugin-ed25519-private KEYID BASE64". Store it with mode
// 0600.
func MarshalPrivateKey(key ed25519.PrivateKey) []byte {
	pub := key.Public().(ed25519.PublicKey)
	return fmt.Appendf(nil, "%s %s %s\n", privateKeyHeader, KeyID(pub), base64.StdEncoding.EncodeToString(key.Seed()))
}

// ParsePrivateKey decodes a key written by MarshalPrivateKey and checks
// that its key id matches.
func ParsePrivateKey(text []byte) (ed25519.PrivateKey, error) {
	seed, err := parseKeyLine(text, privateKeyHeader)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

var errKeyFormat = errors.New("plugin: invalid key file")

// parseKeyLine decodes a key line; the public and private forms both hold
// 32 bytes: the public key or the private key's seed.
func parseKeyLine(text []byte, header string) ([]byte, error) {
	const size = 32
	fields := strings.Fields(string(bytes.TrimSpace(text)))
	if len(fields) != 3 || fields[0] != header {
		return nil, fmt.Errorf("%w: want %q KEYID BASE64", errKeyFormat, header)
	}
	raw, err := base64.StdEncoding.DecodeString(fields[2])
	if err != nil || len(raw) != size {
		return nil, fmt.Errorf("%w: key is not %d bytes of base64", errKeyFormat, size)
	}
	var pub ed25519.PublicKey = raw
	if header == privateKeyHeader {
		pub = ed25519.NewKeyFromSeed(raw).Public().(ed25519.PublicKey)
	}
	if got := KeyID(pub); got != fields[1] {
		return nil, fmt.Errorf("%w: key id %s does not match the key (%s)", errKeyFormat, fields[1], got)
	}
	return raw, nil
}
