package plugin_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/plugin"
)

// signedManifestText returns the signed manifest of a fresh echo plugin
// directory as compact JSON text, for tests that splice keys into it.
func signedManifestText(t *testing.T) (dir, text string) {
	t.Helper()
	dir = writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	resign(t, dir, func(map[string]any) {})
	data, err := os.ReadFile(filepath.Join(dir, plugin.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, string(data)
}

// TestManifestKeysMustBeExact checks that a signed manifest is rejected
// when another JSON reader could read its keys differently. Without the
// check, encoding/json keeps the last of repeated keys and ignores case,
// so a reviewer reading the first "entry" would not see what runs.
func TestManifestKeysMustBeExact(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(string) string
		reason plugin.Reason
	}{
		{"duplicate top-level key", func(s string) string {
			return strings.Replace(s, `"entry":"bin/run"`, `"entry":"share/readme.txt","entry":"bin/run"`, 1)
		}, plugin.ReasonManifestInvalid},
		{"duplicate nested key", func(s string) string {
			return strings.Replace(s, `"min":"1.0.0"`, `"min":"1.0.0","min":"1.0.0"`, 1)
		}, plugin.ReasonManifestInvalid},
		{"upper-case key", func(s string) string {
			return strings.Replace(s, `"entry":`, `"ENTRY":`, 1)
		}, plugin.ReasonUnknownField},
		{"case-variant duplicate", func(s string) string {
			return strings.Replace(s, `"entry":"bin/run"`, `"entry":"share/readme.txt","Entry":"bin/run"`, 1)
		}, plugin.ReasonUnknownField},
		{"unicode folding key", func(s string) string {
			// U+017F LATIN SMALL LETTER LONG S folds to 's'.
			return strings.Replace(s, `"size":`, `"ſize":`, 1)
		}, plugin.ReasonUnknownField},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, rec := newLoader(t, nil)
			dir, text := signedManifestText(t)
			edited := tc.edit(text)
			if edited == text {
				t.Fatalf("edit did not apply to %s", text)
			}
			signRaw(t, dir, []byte(edited), testKey(1))
			_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
			checkRejected(t, err, tc.reason)
			checkSecurityLog(t, rec, tc.reason)
		})
	}
}

// TestManifestTrailingData checks that data after the manifest object is
// rejected even when it is signed.
func TestManifestTrailingData(t *testing.T) {
	for _, tail := range []string{`{}`, `]`, `x`, `{"id":"other"}`} {
		l, _ := newLoader(t, nil)
		dir, text := signedManifestText(t)
		signRaw(t, dir, []byte(text+"\n"+tail), testKey(1))
		_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
		checkRejected(t, err, plugin.ReasonManifestInvalid)
	}
}

// TestManifestListsReservedOrRepeatedFile checks that a manifest cannot
// list a file twice or list the metadata files.
func TestManifestListsReservedOrRepeatedFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
	}{
		{"repeated", "share/readme.txt"},
		{"manifest", plugin.ManifestFile},
		{"signature", plugin.SignatureFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLoader(t, nil)
			dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
			resign(t, dir, func(m map[string]any) {
				files := m["files"].([]any)
				m["files"] = append(files, map[string]any{
					"path": tc.path, "sha256": strings.Repeat("0", 64), "size": 1,
				})
			})
			_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
			checkRejected(t, err, plugin.ReasonManifestInvalid)
		})
	}
}

// TestManifestPathTricks checks paths that are not clean, relative,
// slash-separated names.
func TestManifestPathTricks(t *testing.T) {
	for _, p := range []string{"share/../bin/run", "./bin/run", "bin//run", "bin/run/", "bin\\run", "/bin/run", "..", "."} {
		t.Run(p, func(t *testing.T) {
			l, _ := newLoader(t, nil)
			dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
			resign(t, dir, func(m map[string]any) { m["entry"] = p })
			_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
			checkRejected(t, err, plugin.ReasonPathEscape)
		})
	}
}

// TestLookAlikeFileIsExtra checks that a file whose name only looks like
// a listed one is an unlisted file.
func TestLookAlikeFileIsExtra(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	// U+0578 ARMENIAN SMALL LETTER VO looks like 'n'.
	writeFile(t, dir, "bin/ru\u0578", "#!/bin/sh\n", 0o755)
	_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonFileExtra)
}

// TestOversizedMetadata checks the size limits on plugin.sig and
// plugin.json, and that the reason names the file that is too large.
func TestOversizedMetadata(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	writeFile(t, dir, plugin.SignatureFile, strings.Repeat(" ", 8<<10), 0o644)
	_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonSignatureInvalid)

	dir, text := signedManifestText(t)
	signRaw(t, dir, []byte(text+strings.Repeat(" ", 2<<20)), testKey(1))
	_, err = l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonManifestInvalid)
}

// TestSignDirRefusesOversizedManifest checks that SignDir does not
// produce a manifest that Load would refuse for its size.
func TestSignDirRefusesOversizedManifest(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bin/run", "#!/bin/sh\n", 0o755)
	// 300 paths of about 3,800 bytes each make a manifest over 1 MiB.
	deep := strings.Repeat(strings.Repeat("d", 250)+"/", 15)
	for i := range 300 {
		writeFile(t, dir, fmt.Sprintf("%sf%03d", deep, i), "", 0o644)
	}
	err := plugin.SignDir(dir, newManifest("echo", "1.0.0"), testKey(1))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("SignDir of 300 files with long paths: err = %v, want a size error", err)
	}
}

// TestSignDirThroughLinkedRoot checks that a plugin directory reached
// through a symbolic link can be signed, as it can be loaded.
func TestSignDirThroughLinkedRoot(t *testing.T) {
	real := t.TempDir()
	writeFile(t, real, "bin/run", "#!/bin/sh\n", 0o755)
	link := filepath.Join(t.TempDir(), "plugin")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := plugin.SignDir(link, newManifest("echo", "1.0.0"), testKey(1)); err != nil {
		t.Fatalf("SignDir through a linked root: %v", err)
	}
	l, _ := newLoader(t, nil)
	if _, err := l.Verify(context.Background(), link, plugin.Ref{ID: "echo"}); err != nil {
		t.Errorf("Verify through a linked root: %v", err)
	}
}

// TestRevokedKeyIDAnyCase checks that a revoked key id is matched however
// its hex digits are cased, and that an entry that is not a key id is
// refused by New rather than silently revoking nothing.
func TestRevokedKeyIDAnyCase(t *testing.T) {
	id := plugin.KeyID(testKey(1).Public().(ed25519.PublicKey))
	l, _ := newLoader(t, func(c *plugin.Config) { c.RevokedKeys = []string{strings.ToUpper(id)} })
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	_, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonKeyRevoked)

	for _, bad := range []string{"", " " + id, id[:15], id + "0", "zz" + id[2:]} {
		_, err := plugin.New(plugin.Config{
			TrustedKeys: []ed25519.PublicKey{testKey(1).Public().(ed25519.PublicKey)},
			RevokedKeys: []string{bad},
		})
		if err == nil || !strings.Contains(err.Error(), "RevokedKeys[0]") {
			t.Errorf("New(RevokedKeys: %q): err = %v, want an error naming RevokedKeys[0]", bad, err)
		}
	}
}

// TestSignatureOfAnotherManifest checks that a valid signature of one
// manifest does not verify another manifest of the same key.
func TestSignatureOfAnotherManifest(t *testing.T) {
	l, _ := newLoader(t, nil)
	a := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	b := writePlugin(t, testKey(1), newManifest("echo", "1.0.1"), "echo")
	sig, err := os.ReadFile(filepath.Join(a, plugin.SignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, b, plugin.SignatureFile, string(sig), 0o644)
	_, err = l.Verify(context.Background(), b, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonSignatureInvalid)
}

// TestSignatureUnderAnotherKeyID checks that a signature cannot be
// presented under the id of another trusted key.
func TestSignatureUnderAnotherKeyID(t *testing.T) {
	pub2 := testKey(2).Public().(ed25519.PublicKey)
	l, _ := newLoader(t, func(c *plugin.Config) { c.TrustedKeys = append(c.TrustedKeys, pub2) })
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	p := filepath.Join(dir, plugin.SignatureFile)
	sig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	id1 := plugin.KeyID(testKey(1).Public().(ed25519.PublicKey))
	writeFile(t, dir, plugin.SignatureFile, strings.Replace(string(sig), id1, plugin.KeyID(pub2), 1), 0o644)
	_, err = l.Verify(context.Background(), dir, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonSignatureInvalid)
}
