package plugin_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// signRaw writes data as plugin.json with a valid signature by key, so a
// test can sign a manifest that SignDir would refuse to produce.
func signRaw(t *testing.T, dir string, data []byte, key ed25519.PrivateKey) {
	t.Helper()
	sig, err := plugin.Sign(data, key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, plugin.ManifestFile, string(data), 0o644)
	writeFile(t, dir, plugin.SignatureFile, string(sig), 0o644)
}

// resign reads the signed manifest of dir, lets edit change its JSON
// object and signs the result again with testKey(1).
func resign(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, plugin.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	edit(obj)
	data, err = json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	signRaw(t, dir, data, testKey(1))
}

func TestSignVerifyRoundTrip(t *testing.T) {
	l, rec := newLoader(t, nil)
	want := newManifest("echo", "1.2.3")
	dir := writePlugin(t, testKey(1), want, "echo")
	m, err := l.Verify(context.Background(), dir, plugin.Ref{ID: "echo", Version: "1.2.3"})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if m.ID != "echo" || m.Version != "1.2.3" || m.Entry != "bin/run" {
		t.Errorf("manifest = %s %s %s, want echo 1.2.3 bin/run", m.ID, m.Version, m.Entry)
	}
	if len(m.Files) != 2 {
		t.Errorf("manifest lists %d files, want 2", len(m.Files))
	}
	evs := rec.verifyEvents()
	if len(evs) != 1 || evs[0].Reason != plugin.ReasonNone || evs[0].Err != nil {
		t.Fatalf("verify events = %+v, want one success", evs)
	}
	if evs[0].KeyID != plugin.KeyID(testKey(1).Public().(ed25519.PublicKey)) {
		t.Errorf("event key id = %q, want the test key's id", evs[0].KeyID)
	}
	if strings.Contains(rec.logs(), "plugin.verify_failed") {
		t.Errorf("a successful verification logged a failure: %s", rec.logs())
	}
}

// rejection is one way a plugin directory can fail verification.
type rejection struct {
	name   string
	reason plugin.Reason
	ref    plugin.Ref
	config func(*plugin.Config)
	// setup breaks a valid, signed plugin directory.
	setup func(t *testing.T, dir string)
}

func rejections() []rejection {
	echo := plugin.Ref{ID: "echo"}
	remove := func(rel string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
				t.Fatal(err)
			}
		}
	}
	return []rejection{
		{name: "signature missing", reason: plugin.ReasonSignatureMissing, ref: echo,
			setup: remove(plugin.SignatureFile)},
		{name: "manifest tampered", reason: plugin.ReasonSignatureInvalid, ref: echo,
			setup: func(t *testing.T, dir string) {
				p := filepath.Join(dir, plugin.ManifestFile)
				data, _ := os.ReadFile(p)
				data = []byte(strings.Replace(string(data), `"1.0.0"`, `"9.0.0"`, 1))
				writeFile(t, dir, plugin.ManifestFile, string(data), 0o644)
			}},
		{name: "signature malformed", reason: plugin.ReasonSignatureInvalid, ref: echo,
			setup: func(t *testing.T, dir string) {
				writeFile(t, dir, plugin.SignatureFile, `{"key_id":"x","algorithm":"rsa","signature":""}`, 0o644)
			}},
		{name: "key unknown", reason: plugin.ReasonKeyUnknown, ref: echo,
			setup: func(t *testing.T, dir string) {
				data, _ := os.ReadFile(filepath.Join(dir, plugin.ManifestFile))
				signRaw(t, dir, data, testKey(2))
			}},
		{name: "key revoked", reason: plugin.ReasonKeyRevoked, ref: echo,
			config: func(c *plugin.Config) {
				c.RevokedKeys = []string{plugin.KeyID(testKey(1).Public().(ed25519.PublicKey))}
			}},
		{name: "unknown field", reason: plugin.ReasonUnknownField, ref: echo,
			setup: func(t *testing.T, dir string) {
				resign(t, dir, func(m map[string]any) { m["run_as_root"] = true })
			}},
		{name: "manifest invalid", reason: plugin.ReasonManifestInvalid, ref: echo,
			setup: func(t *testing.T, dir string) {
				resign(t, dir, func(m map[string]any) { m["version"] = "1.0" })
			}},
		{name: "plugin A presented as B", reason: plugin.ReasonWrongPlugin,
			ref: plugin.Ref{ID: "other"}},
		{name: "wrong version", reason: plugin.ReasonWrongVersion,
			ref: plugin.Ref{ID: "echo", Version: "1.0.1"}},
		{name: "expired", reason: plugin.ReasonExpired, ref: echo,
			config: func(c *plugin.Config) {
				c.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
			}},
		{name: "not yet valid", reason: plugin.ReasonNotYetValid, ref: echo,
			config: func(c *plugin.Config) {
				c.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
			}},
		{name: "host API too new", reason: plugin.ReasonHostAPI, ref: echo,
			config: func(c *plugin.Config) { c.HostAPI = "2.0.0" }},
		{name: "archive path traversal", reason: plugin.ReasonPathEscape, ref: echo,
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Dir(dir), "evil.sh", "#!/bin/sh\n", 0o755)
				resign(t, dir, func(m map[string]any) {
					files := m["files"].([]any)
					m["files"] = append(files, map[string]any{
						"path": "../evil.sh", "sha256": strings.Repeat("0", 64), "size": 10,
					})
				})
			}},
		{name: "absolute path", reason: plugin.ReasonPathEscape, ref: echo,
			setup: func(t *testing.T, dir string) {
				resign(t, dir, func(m map[string]any) { m["entry"] = "/bin/sh" })
			}},
		{name: "symbolic link", reason: plugin.ReasonPathEscape, ref: echo,
			setup: func(t *testing.T, dir string) {
				outside := filepath.Join(t.TempDir(), "readme.txt")
				writeFile(t, filepath.Dir(outside), "readme.txt", "a plugin used by the tests\n", 0o644)
				remove("share/readme.txt")(t, dir)
				if err := os.Symlink(outside, filepath.Join(dir, "share", "readme.txt")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "linked directory", reason: plugin.ReasonPathEscape, ref: echo,
			setup: func(t *testing.T, dir string) {
				outside := t.TempDir()
				writeFile(t, outside, "readme.txt", "a plugin used by the tests\n", 0o644)
				if err := os.RemoveAll(filepath.Join(dir, "share")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, filepath.Join(dir, "share")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "named pipe", reason: plugin.ReasonPathEscape, ref: echo,
			setup: func(t *testing.T, dir string) {
				remove("share/readme.txt")(t, dir)
				if err := mkfifo(filepath.Join(dir, "share", "readme.txt")); err != nil {
					t.Skipf("mkfifo: %v", err)
				}
			}},
		{name: "device", reason: plugin.ReasonPathEscape, ref: echo,
			setup: func(t *testing.T, dir string) {
				// A character device with the numbers of /dev/null (1, 3).
				if err := mknodNull(filepath.Join(dir, "share", "null")); err != nil {
					t.Skipf("mknod needs privileges: %v", err)
				}
			}},
		{name: "file missing", reason: plugin.ReasonFileMissing, ref: echo,
			setup: remove("share/readme.txt")},
		{name: "file extra", reason: plugin.ReasonFileExtra, ref: echo,
			setup: func(t *testing.T, dir string) {
				writeFile(t, dir, "share/extra.so", "injected", 0o644)
			}},
		{name: "file content differs", reason: plugin.ReasonFileMismatch, ref: echo,
			setup: func(t *testing.T, dir string) {
				writeFile(t, dir, "share/readme.txt", "A PLUGIN USED BY THE TESTS\n", 0o644)
			}},
		{name: "file size differs", reason: plugin.ReasonFileMismatch, ref: echo,
			setup: func(t *testing.T, dir string) {
				writeFile(t, dir, "share/readme.txt", "a plugin used by the tests\nand more\n", 0o644)
			}},
	}
}

func TestVerifyRejects(t *testing.T) {
	for _, tc := range rejections() {
		t.Run(tc.name, func(t *testing.T) {
			l, rec := newLoader(t, tc.config)
			dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			_, err := l.Verify(context.Background(), dir, tc.ref)
			checkRejected(t, err, tc.reason)
			checkSecurityLog(t, rec, tc.reason)
		})
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range rejections() {
		t.Run(tc.name, func(t *testing.T) {
			copyDir := t.TempDir()
			l, _ := newLoader(t, func(c *plugin.Config) {
				c.CopyDir = copyDir
				if tc.config != nil {
					tc.config(c)
				}
			})
			dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			p, err := l.Load(context.Background(), dir, tc.ref)
			if p != nil {
				p.Close()
			}
			checkRejected(t, err, tc.reason)
			if left, _ := os.ReadDir(copyDir); len(left) != 0 {
				t.Errorf("rejected Load left %d entries in CopyDir", len(left))
			}
		})
	}
}

func checkRejected(t *testing.T, err error, want plugin.Reason) {
	t.Helper()
	if !errors.Is(err, plugin.ErrRejected) {
		t.Fatalf("err = %v, want ErrRejected", err)
	}
	var rej *plugin.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("err = %T, want *RejectedError", err)
	}
	if rej.Reason != want {
		t.Errorf("Reason = %v, want %v (%v)", rej.Reason, want, err)
	}
	if rej.Code() != "ERR-PluginRejected" {
		t.Errorf("Code() = %q, want ERR-PluginRejected", rej.Code())
	}
}

// checkSecurityLog checks the one Error record and the one VerifyEvent of
// a rejection.
func checkSecurityLog(t *testing.T, rec *recorder, want plugin.Reason) {
	t.Helper()
	var entry struct {
		Level, Event, Reason string
	}
	lines := strings.Split(strings.TrimSpace(rec.logs()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d records, want 1:\n%s", len(lines), rec.logs())
	}
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatalf("log record %q: %v", lines[0], err)
	}
	if entry.Level != "ERROR" || entry.Event != "plugin.verify_failed" || entry.Reason != want.String() {
		t.Errorf("log = level %s event %s reason %s, want ERROR plugin.verify_failed %s",
			entry.Level, entry.Event, entry.Reason, want)
	}
	evs := rec.verifyEvents()
	if len(evs) != 1 || evs[0].Reason != want || evs[0].Err == nil {
		t.Errorf("verify events = %+v, want one with reason %v", evs, want)
	}
}

func TestVerifyMissingDirectory(t *testing.T) {
	l, rec := newLoader(t, nil)
	_, err := l.Verify(context.Background(), filepath.Join(t.TempDir(), "absent"), plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonIO)
	checkSecurityLog(t, rec, plugin.ReasonIO)
}

func TestLoadRollback(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plugins.state")
	l, _ := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	newer := writePlugin(t, testKey(1), newManifest("echo", "1.10.0"), "echo")
	older := writePlugin(t, testKey(1), newManifest("echo", "1.9.0"), "echo")
	p, err := l.Load(context.Background(), newer, plugin.Ref{ID: "echo"})
	if err != nil {
		t.Fatalf("Load 1.10.0: %v", err)
	}
	p.Close()
	_, err = l.Load(context.Background(), older, plugin.Ref{ID: "echo"})
	checkRejected(t, err, plugin.ReasonRollback)

	// The mark survives a restart of the host.
	restarted, rec := newLoader(t, func(c *plugin.Config) { c.StateFile = state })
	_, err = restarted.Verify(context.Background(), older, plugin.Ref{ID: "echo", Version: "1.9.0"})
	checkRejected(t, err, plugin.ReasonRollback)
	checkSecurityLog(t, rec, plugin.ReasonRollback)
	if v := rec.verifyEvents()[0].Version; v != "1.9.0" {
		t.Errorf("VerifyEvent.Version = %q, want the rejected manifest's 1.9.0", v)
	}

	// The same version loads again.
	p, err = restarted.Load(context.Background(), newer, plugin.Ref{ID: "echo"})
	if err != nil {
		t.Fatalf("reload 1.10.0: %v", err)
	}
	p.Close()
}

func TestNewRejectsCorruptStateFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plugins.state")
	writeFile(t, filepath.Dir(state), filepath.Base(state), `{"highest":{"echo":"not-a-version"}}`, 0o600)
	_, err := plugin.New(plugin.Config{
		TrustedKeys: []ed25519.PublicKey{testKey(1).Public().(ed25519.PublicKey)},
		StateFile:   state,
	})
	if err == nil || !strings.Contains(err.Error(), "StateFile") {
		t.Errorf("New with a corrupt state file: err = %v, want an error naming StateFile", err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	pub := testKey(1).Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		field string
		cfg   plugin.Config
	}{
		{"TrustedKeys", plugin.Config{}},
		{"TrustedKeys[0]", plugin.Config{TrustedKeys: []ed25519.PublicKey{pub[:5]}}},
		{"HostAPI", plugin.Config{TrustedKeys: []ed25519.PublicKey{pub}, HostAPI: "v1"}},
		{"Grace", plugin.Config{TrustedKeys: []ed25519.PublicKey{pub}, Grace: -1}},
		{"Env", plugin.Config{TrustedKeys: []ed25519.PublicKey{pub}, Env: []string{"HOME"}}},
	} {
		if _, err := plugin.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New(%s invalid): err = %v, want an error naming %s", tc.field, err, tc.field)
		}
	}
}

func TestLoadCopyIsPrivate(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("echo", "1.0.0"), "echo")
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "echo"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer p.Close()
	m := p.Manifest()
	m.Files[0].Path = "changed"
	if p.Manifest().Files[0].Path == "changed" {
		t.Error("Manifest() returned a slice shared with the plugin")
	}

	info, err := os.Stat(filepath.Dir(p.Dir()))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("private directory mode = %v, want 0700", perm)
	}
	entry, err := os.Stat(filepath.Join(p.Dir(), "bin", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := entry.Mode().Perm(); perm != 0o500 {
		t.Errorf("entry point mode = %v, want 0500", perm)
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(p.Dir()); !os.IsNotExist(err) {
		t.Errorf("copy still exists after Close: %v", err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.0", "1.0.1", -1},
		{"1.10.0", "1.9.0", 1},
		{"1.0.0-alpha", "1.0.0", -1},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-beta.11", "1.0.0-beta.2", 1},
		{"1.0.0-rc.1", "1.0.0-beta.11", 1},
		{"2.0.0+build.5", "2.0.0+build.6", 0},
	} {
		got, err := plugin.CompareVersions(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1", "1.0", "01.0.0", "1.0.0-", "1.0.0-01", "v1.0.0", "1.0.0+"} {
		if _, err := plugin.CompareVersions(bad, "1.0.0"); err == nil {
			t.Errorf("CompareVersions(%q) accepted an invalid version", bad)
		}
	}
}
