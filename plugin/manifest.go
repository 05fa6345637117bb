package plugin

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"time"
)

// File names at the root of a plugin directory.
const (
	ManifestFile  = "plugin.json"
	SignatureFile = "plugin.sig"
)

// Size limits on the metadata files, so a hostile directory cannot make
// the host read without bound before the signature is checked.
const (
	maxManifestBytes  = 1 << 20
	maxSignatureBytes = 4 << 10
	maxIDLength       = 128
)

// Manifest is the signed description of a plugin, stored as plugin.json.
// Every field is required unless its comment states otherwise.
type Manifest struct {
	// ID names the plugin: 1 to 128 characters from a-z, 0-9, '.', '_'
	// and '-', starting with a letter or digit.
	ID string `json:"id"`
	// Version is a semantic version such as "1.4.0".
	Version string `json:"version"`
	// Entry is the path, relative to the plugin directory, of the file
	// that is executed. It must be listed in Files.
	Entry string `json:"entry"`
	// HostAPI is the range of host API versions the plugin works with.
	HostAPI APIRange `json:"host_api"`
	// Files lists every file of the plugin directory except plugin.json
	// and plugin.sig.
	Files []File `json:"files"`
	// Requires lists what the plugin needs from the host machine.
	// Optional.
	Requires Requirements `json:"requires"`
	// IssuedAt is when the manifest was signed.
	IssuedAt time.Time `json:"issued_at"`
	// ExpiresAt is when the manifest stops being accepted. It must be
	// after IssuedAt.
	ExpiresAt time.Time `json:"expires_at"`
}

// APIRange is a range of host API versions: Min inclusive, Max exclusive.
type APIRange struct {
	// Min is the lowest supported host API version.
	Min string `json:"min"`
	// Max is the first unsupported host API version; empty means no
	// upper bound.
	Max string `json:"max,omitempty"`
}

// File is the expected content of one file of a plugin directory.
type File struct {
	// Path is slash-separated and relative to the plugin directory, with
	// no "." or ".." element.
	Path string `json:"path"`
	// SHA256 is the lower-case hex SHA-256 digest of the content.
	SHA256 string `json:"sha256"`
	// Size is the content length in bytes.
	Size int64 `json:"size"`
}

// Requirements are the programs, variables and platforms a plugin needs
// from the host to start.
type Requirements struct {
	// Executables are program names that must be found on the plugin's
	// PATH.
	Executables []string `json:"executables,omitempty"`
	// Env are environment variable names that must be set in the host
	// and passed to the plugin by the host's allowlist.
	Env []string `json:"env,omitempty"`
	// Platforms are "os/arch" pairs in GOOS/GOARCH notation, such as
	// "linux/amd64"; empty means any platform.
	Platforms []string `json:"platforms,omitempty"`
}

// decodeManifest parses signed manifest bytes strictly: unknown fields,
// trailing data and invalid values are errors.
func decodeManifest(data []byte) (*Manifest, Reason, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		// The error text of an unknown field is not part of the
		// encoding/json API, so decode again leniently: if that works,
		// the only problem was an unknown field.
		var lenient Manifest
		if json.Unmarshal(data, &lenient) == nil {
			return nil, ReasonUnknownField, err
		}
		return nil, ReasonManifestInvalid, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ReasonManifestInvalid, errors.New("data after the manifest object")
	}
	keys := json.NewDecoder(bytes.NewReader(data))
	if reason, err := checkKeys(keys, reflect.TypeFor[Manifest]()); err != nil {
		return nil, reason, err
	}
	if reason, err := m.validate(); err != nil {
		return nil, reason, err
	}
	return &m, ReasonNone, nil
}

// checkKeys walks one JSON value that decodes into type t. It rejects a
// key repeated in an object, because encoding/json keeps the last one and
// another reader may keep the first. It also rejects a key that differs
// from the field name, because encoding/json ignores case and folds some
// letters, such as U+017F into 's'. For a nil t or a type other than a
// struct, only repeated keys are checked.
func checkKeys(dec *json.Decoder, t reflect.Type) (Reason, error) {
	tok, err := dec.Token()
	if err != nil {
		return ReasonManifestInvalid, err
	}
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Slice {
			elem = t.Elem()
		}
		for dec.More() {
			if reason, err := checkKeys(dec, elem); err != nil {
				return reason, err
			}
		}
	case json.Delim('{'):
		if reason, err := checkObjectKeys(dec, t); err != nil {
			return reason, err
		}
	default:
		return ReasonNone, nil
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return ReasonManifestInvalid, err
	}
	return ReasonNone, nil
}

func checkObjectKeys(dec *json.Decoder, t reflect.Type) (Reason, error) {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = make(map[string]reflect.Type, t.NumField())
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "-" && name != "" {
				fields[name] = f.Type
			}
		}
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ReasonManifestInvalid, err
		}
		key := tok.(string)
		if seen[key] {
			return ReasonManifestInvalid, fmt.Errorf("key %q appears twice in one object", key)
		}
		seen[key] = true
		var ft reflect.Type
		if fields != nil {
			var ok bool
			if ft, ok = fields[key]; !ok {
				return ReasonUnknownField, fmt.Errorf("unknown field %q", key)
			}
		}
		if reason, err := checkKeys(dec, ft); err != nil {
			return reason, err
		}
	}
	return ReasonNone, nil
}

// validate checks every field and returns the reason for the first
// invalid one.
func (m *Manifest) validate() (Reason, error) {
	if err := validateID(m.ID); err != nil {
		return ReasonManifestInvalid, err
	}
	if _, err := parseVersion(m.Version); err != nil {
		return ReasonManifestInvalid, fmt.Errorf("version: %w", err)
	}
	if _, err := parseVersion(m.HostAPI.Min); err != nil {
		return ReasonManifestInvalid, fmt.Errorf("host_api.min: %w", err)
	}
	if m.HostAPI.Max != "" {
		if c, err := CompareVersions(m.HostAPI.Max, m.HostAPI.Min); err != nil {
			return ReasonManifestInvalid, fmt.Errorf("host_api.max: %w", err)
		} else if c <= 0 {
			return ReasonManifestInvalid, errors.New("host_api.max must be higher than host_api.min")
		}
	}
	if m.IssuedAt.IsZero() || m.ExpiresAt.IsZero() || !m.ExpiresAt.After(m.IssuedAt) {
		return ReasonManifestInvalid, errors.New("issued_at and expires_at must be set and expires_at must be later")
	}
	if reason, err := m.validateFiles(); err != nil {
		return reason, err
	}
	return m.Requires.validate()
}

func (m *Manifest) validateFiles() (Reason, error) {
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if !localPath(f.Path) {
			return ReasonPathEscape, fmt.Errorf("file path %q", f.Path)
		}
		if f.Path == ManifestFile || f.Path == SignatureFile {
			return ReasonManifestInvalid, fmt.Errorf("file path %q is reserved", f.Path)
		}
		if seen[f.Path] {
			return ReasonManifestInvalid, fmt.Errorf("file path %q is listed twice", f.Path)
		}
		seen[f.Path] = true
		if d, err := hex.DecodeString(f.SHA256); err != nil || len(d) != 32 || strings.ToLower(f.SHA256) != f.SHA256 {
			return ReasonManifestInvalid, fmt.Errorf("file %q: sha256 must be 64 lower-case hex digits", f.Path)
		}
		if f.Size < 0 {
			return ReasonManifestInvalid, fmt.Errorf("file %q: negative size", f.Path)
		}
	}
	if !localPath(m.Entry) {
		return ReasonPathEscape, fmt.Errorf("entry %q", m.Entry)
	}
	if !seen[m.Entry] {
		return ReasonManifestInvalid, fmt.Errorf("entry %q is not listed in files", m.Entry)
	}
	return ReasonNone, nil
}

// localPath reports whether p is a clean, slash-separated path inside the
// plugin directory: not absolute, no "." or ".." element, no backslash.
func localPath(p string) bool {
	return fs.ValidPath(p) && p != "." && path.Clean(p) == p && !strings.ContainsAny(p, "\\\x00")
}

func validateID(id string) error {
	if id == "" || len(id) > maxIDLength {
		return fmt.Errorf("id %q must have 1 to %d characters", id, maxIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return fmt.Errorf("id %q may hold only a-z, 0-9, '.', '_' and '-', starting with a letter or digit", id)
		}
	}
	return nil
}

func (r Requirements) validate() (Reason, error) {
	for _, e := range r.Executables {
		if e == "" || strings.ContainsAny(e, "/\\\x00") {
			return ReasonManifestInvalid, fmt.Errorf("requires.executables: %q must be a program name without a directory", e)
		}
	}
	for _, e := range r.Env {
		if e == "" || strings.ContainsAny(e, "=\x00") {
			return ReasonManifestInvalid, fmt.Errorf("requires.env: %q is not a variable name", e)
		}
	}
	for _, p := range r.Platforms {
		if os, arch, ok := strings.Cut(p, "/"); !ok || os == "" || arch == "" {
			return ReasonManifestInvalid, fmt.Errorf("requires.platforms: %q must be os/arch", p)
		}
	}
	return ReasonNone, nil
}
