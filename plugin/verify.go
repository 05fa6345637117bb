package plugin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Ref names the plugin a caller expects to find in a directory.
type Ref struct {
	// ID is the plugin id the manifest must name. Required.
	ID string
	// Version is the exact version the manifest must name. Empty accepts
	// any version that is not a rollback.
	Version string
}

// Verify checks the plugin in dir against ref without copying or running
// anything, and returns its manifest. Every check of Load runs, but the
// high-water mark is not raised. A rejection is a *RejectedError.
func (l *Loader) Verify(ctx context.Context, dir string, ref Ref) (*Manifest, error) {
	start := time.Now()
	m, keyID, err := l.verify(ctx, dir, ref, nil)
	l.finishVerify(ref, m, keyID, start, err)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Load verifies the plugin in dir against ref and copies it, while
// hashing, into a private 0700 directory under Config.CopyDir. Processes
// run from that copy, so the bytes executed are the bytes verified even if
// dir changes afterwards. Load raises the plugin's high-water mark. A
// rejection is a *RejectedError; the caller must Close the returned
// Plugin to remove the copy.
func (l *Loader) Load(ctx context.Context, dir string, ref Ref) (*Plugin, error) {
	start := time.Now()
	p, m, keyID, err := l.load(ctx, dir, ref)
	l.finishVerify(ref, m, keyID, start, err)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// load returns the plugin, and the manifest and key id as far as they
// were authenticated, for the event.
func (l *Loader) load(ctx context.Context, dir string, ref Ref) (*Plugin, *Manifest, string, error) {
	private, err := os.MkdirTemp(l.cfg.CopyDir, "plugin-*")
	if err != nil {
		return nil, nil, "", fmt.Errorf("plugin: create private copy: %w", err)
	}
	files := filepath.Join(private, "files")
	m, keyID, err := l.verify(ctx, dir, ref, &copier{dir: files})
	if err == nil {
		var from string
		from, err = l.raiseMark(m.ID, m.Version)
		if from != "" {
			err = reject(ref, dir, ReasonRollback, fmt.Sprintf("%s < %s", m.Version, from), nil)
		}
	}
	if err != nil {
		os.RemoveAll(private)
		return nil, m, keyID, err
	}
	p := &Plugin{
		loader:   l,
		manifest: *m,
		private:  private,
		files:    files,
		entry:    filepath.Join(files, filepath.FromSlash(m.Entry)),
	}
	return p, m, keyID, nil
}

func reject(ref Ref, dir string, reason Reason, detail string, err error) *RejectedError {
	return &RejectedError{Plugin: ref.ID, Dir: dir, Reason: reason, Detail: detail, Err: err}
}

// finishVerify logs a rejection as a security event and calls OnVerify.
func (l *Loader) finishVerify(ref Ref, m *Manifest, keyID string, start time.Time, err error) {
	ev := VerifyEvent{Plugin: ref.ID, KeyID: keyID, Err: err, Duration: time.Since(start)}
	if m != nil {
		ev.Version = m.Version
	}
	var rej *RejectedError
	if errors.As(err, &rej) {
		ev.Reason = rej.Reason
		if l.cfg.Logger != nil {
			l.cfg.Logger.LogAttrs(context.Background(), slog.LevelError, "plugin rejected",
				slog.String("event", "plugin.verify_failed"),
				slog.String("plugin", ref.ID),
				slog.String("dir", rej.Dir),
				slog.String("reason", rej.Reason.String()),
				slog.String("detail", rej.Detail),
				slog.String("key_id", keyID),
				slog.Any("err", err))
		}
	}
	if l.cfg.OnVerify != nil {
		l.cfg.OnVerify(ev)
	}
}

// verify runs every check in order: signature first, so no unauthenticated
// byte is parsed as a manifest, then the manifest's claims, then the
// directory tree, then the content of each file. When cp is not nil each
// file is copied while it is hashed. On a rejection after the manifest was
// authenticated, the manifest is returned with the error.
func (l *Loader) verify(ctx context.Context, dir string, ref Ref, cp *copier) (*Manifest, string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", reject(ref, dir, ReasonIO, "", err)
	}
	defer root.Close()

	data, keyID, rej := l.authenticate(root, dir, ref)
	if rej != nil {
		return nil, keyID, rej
	}
	m, reason, err := decodeManifest(data)
	if err != nil {
		return nil, keyID, reject(ref, dir, reason, "", err)
	}
	if rej := l.checkClaims(m, dir, ref); rej != nil {
		return m, keyID, rej
	}
	if rej := checkTree(root, dir, ref, m); rej != nil {
		return m, keyID, rej
	}

	if cp != nil {
		if err := os.Mkdir(cp.dir, 0o700); err != nil {
			return m, keyID, fmt.Errorf("plugin: create private copy: %w", err)
		}
	}
	for _, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return m, keyID, err
		}
		if rej := checkFile(root, dir, ref, f, m.Entry, cp); rej != nil {
			return m, keyID, rej
		}
	}
	return m, keyID, nil
}

// authenticate reads plugin.sig and plugin.json and verifies the
// signature. It returns the manifest bytes and the key id.
func (l *Loader) authenticate(root *os.Root, dir string, ref Ref) ([]byte, string, *RejectedError) {
	raw, reason, err := readSmall(root, SignatureFile, maxSignatureBytes, ReasonSignatureInvalid)
	if err != nil {
		if reason == ReasonFileMissing {
			reason = ReasonSignatureMissing
		}
		return nil, "", reject(ref, dir, reason, SignatureFile, err)
	}
	var sig signature
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sig); err != nil || sig.Algorithm != "ed25519" {
		return nil, "", reject(ref, dir, ReasonSignatureInvalid, SignatureFile, err)
	}

	sigBytes, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(sigBytes) != ed25519.SignatureSize {
		return nil, sig.KeyID, reject(ref, dir, ReasonSignatureInvalid, SignatureFile, err)
	}
	if l.revoked[sig.KeyID] {
		return nil, sig.KeyID, reject(ref, dir, ReasonKeyRevoked, "key id "+sig.KeyID, nil)
	}
	pub, ok := l.trusted[sig.KeyID]
	if !ok {
		return nil, sig.KeyID, reject(ref, dir, ReasonKeyUnknown, "key id "+sig.KeyID, nil)
	}

	data, reason, err := readSmall(root, ManifestFile, maxManifestBytes, ReasonManifestInvalid)
	if err != nil {
		if reason == ReasonFileMissing {
			reason = ReasonManifestInvalid
		}
		return nil, sig.KeyID, reject(ref, dir, reason, ManifestFile, err)
	}
	if !ed25519.Verify(pub, signedMessage(sig.KeyID, data), sigBytes) {
		return nil, sig.KeyID, reject(ref, dir, ReasonSignatureInvalid, "signature does not match plugin.json", nil)
	}
	return data, sig.KeyID, nil
}

// readSmall reads a regular file at the root of the plugin directory, up
// to max bytes. A larger file is rejected with the reason oversize.
func readSmall(root *os.Root, name string, max int64, oversize Reason) ([]byte, Reason, error) {
	info, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ReasonFileMissing, err
	}
	if err != nil {
		return nil, ReasonIO, err
	}
	if !info.Mode().IsRegular() {
		return nil, ReasonPathEscape, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	f, err := root.OpenFile(name, openReadFlags, 0)
	if err != nil {
		return nil, ReasonIO, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, ReasonPathEscape, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, ReasonIO, err
	}
	if int64(len(data)) > max {
		return nil, oversize, fmt.Errorf("larger than %d bytes", max)
	}
	return data, ReasonNone, nil
}

// checkClaims checks what the authenticated manifest claims against the
// request, the clock, the host API and the high-water mark.
func (l *Loader) checkClaims(m *Manifest, dir string, ref Ref) *RejectedError {
	if m.ID != ref.ID {
		return reject(ref, dir, ReasonWrongPlugin, fmt.Sprintf("manifest id %q", m.ID), nil)
	}
	if ref.Version != "" && m.Version != ref.Version {
		return reject(ref, dir, ReasonWrongVersion, fmt.Sprintf("manifest version %q, requested %q", m.Version, ref.Version), nil)
	}
	now := l.now()
	if !now.Before(m.ExpiresAt) {
		return reject(ref, dir, ReasonExpired, "expired at "+m.ExpiresAt.UTC().Format(time.RFC3339), nil)
	}
	if now.Add(clockSkew).Before(m.IssuedAt) {
		return reject(ref, dir, ReasonNotYetValid, "issued at "+m.IssuedAt.UTC().Format(time.RFC3339), nil)
	}
	if rej := l.checkHostAPI(m, dir, ref); rej != nil {
		return rej
	}
	v, _ := parseVersion(m.Version)
	if mark, ok := l.checkRollback(m.ID, v); !ok {
		return reject(ref, dir, ReasonRollback, fmt.Sprintf("%s < %s", m.Version, mark), nil)
	}
	return nil
}

func (l *Loader) checkHostAPI(m *Manifest, dir string, ref Ref) *RejectedError {
	if l.cfg.HostAPI == "" {
		return nil
	}
	host, _ := parseVersion(l.cfg.HostAPI)
	lo, _ := parseVersion(m.HostAPI.Min)
	ok := host.compare(lo) >= 0
	if m.HostAPI.Max != "" {
		hi, _ := parseVersion(m.HostAPI.Max)
		ok = ok && host.compare(hi) < 0
	}
	if !ok {
		detail := fmt.Sprintf("host %s, plugin supports >= %s", l.cfg.HostAPI, m.HostAPI.Min)
		if m.HostAPI.Max != "" {
			detail += " and < " + m.HostAPI.Max
		}
		return reject(ref, dir, ReasonHostAPI, detail, nil)
	}
	return nil
}

// checkTree walks the directory without following links and rejects any
// link, device, pipe or socket, any file the manifest does not list, and
// any listed file that is missing.
func checkTree(root *os.Root, dir string, ref Ref, m *Manifest) *RejectedError {
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = false
	}
	var rej *RejectedError
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			rej = reject(ref, dir, ReasonIO, p, err)
		case p == "." || d.IsDir():
			return nil
		case !d.Type().IsRegular():
			rej = reject(ref, dir, ReasonPathEscape, fmt.Sprintf("%s is a %s", p, typeName(d.Type())), nil)
		case p == ManifestFile || p == SignatureFile:
			return nil
		default:
			if _, ok := listed[p]; !ok {
				rej = reject(ref, dir, ReasonFileExtra, p, nil)
			} else {
				listed[p] = true
			}
		}
		if rej != nil {
			return fs.SkipAll
		}
		return nil
	})
	if rej != nil {
		return rej
	}
	if err != nil {
		return reject(ref, dir, ReasonIO, "", err)
	}
	for _, f := range m.Files {
		if !listed[f.Path] {
			return reject(ref, dir, ReasonFileMissing, f.Path, nil)
		}
	}
	return nil
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t&fs.ModeDevice != 0:
		return "device"
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	}
	return "irregular file"
}

// copier writes the private copy of a plugin.
type copier struct {
	dir string
}

// create opens the copy of a file for writing. The entry point and files
// with an execute bit become 0500, others 0400.
func (c *copier) create(rel string, exec bool) (*os.File, error) {
	dst := filepath.Join(c.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return nil, err
	}
	mode := os.FileMode(0o400)
	if exec {
		mode = 0o500
	}
	return os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
}

// checkFile hashes one listed file, copying it when cp is not nil, and
// compares its size and digest with the manifest.
func checkFile(root *os.Root, dir string, ref Ref, f File, entry string, cp *copier) *RejectedError {
	src, err := root.OpenFile(f.Path, openReadFlags, 0)
	if err != nil {
		return reject(ref, dir, ReasonPathEscape, f.Path, err)
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return reject(ref, dir, ReasonIO, f.Path, err)
	}
	if !info.Mode().IsRegular() {
		return reject(ref, dir, ReasonPathEscape, fmt.Sprintf("%s is a %s", f.Path, typeName(info.Mode().Type())), nil)
	}

	h := sha256.New()
	var dst io.Writer = h
	if cp != nil {
		out, err := cp.create(f.Path, f.Path == entry || info.Mode()&0o111 != 0)
		if err != nil {
			return reject(ref, dir, ReasonIO, f.Path, err)
		}
		defer out.Close()
		dst = io.MultiWriter(h, out)
	}

	// Reading one byte past the expected size detects a file that grew.
	n, err := io.Copy(dst, io.LimitReader(src, f.Size+1))
	if err != nil {
		return reject(ref, dir, ReasonIO, f.Path, err)
	}
	if n != f.Size {
		return reject(ref, dir, ReasonFileMismatch, fmt.Sprintf("%s: size %d, manifest %d", f.Path, n, f.Size), nil)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return reject(ref, dir, ReasonFileMismatch, f.Path+": sha256 differs", nil)
	}
	return nil
}
