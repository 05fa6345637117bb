package session

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cowork-ai/resilience/backoff"
)

// schemaVersion is the version of the file format this code writes and
// reads. A file with any other version loads zero grants.
const schemaVersion = 1

// macDomain separates this file's MAC from any other use of the key.
const macDomain = "github.com/cowork-ai/resilience/session grants\x00"

// faultFunc, when set in tests, runs before each file operation and may
// fail it: op names the operation, path the file.
type faultFunc func(op, path string) error

// store reads and writes the grant file. Its methods are called with
// Manager.writing held, or from New before any other goroutine starts.
type store struct {
	path       string
	key        []byte
	keyUnsaved bool // key was generated but its file not yet written
	retry      backoff.Schedule
	fault      faultFunc
}

// envelope is the file's outer layer: the MAC covers the schema version
// and the exact bytes of the payload.
type envelope struct {
	Schema  int             `json:"schema"`
	MAC     string          `json:"mac"`
	Payload json.RawMessage `json:"payload"`
}

type payload struct {
	Version uint64      `json:"version"`
	Written time.Time   `json:"written"`
	Grants  []fileGrant `json:"grants"`
	Ended   []fileEnded `json:"ended"`
}

type fileGrant struct {
	ID        string    `json:"id"`
	Action    string    `json:"action"`
	Resource  string    `json:"resource,omitempty"`
	GrantedAt time.Time `json:"granted_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

type fileEnded struct {
	ID        string    `json:"id"`
	Action    string    `json:"action"`
	Resource  string    `json:"resource,omitempty"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
	KeepUntil time.Time `json:"keep_until"`
}

func (s *store) op(name, path string) error {
	if s.fault == nil {
		return nil
	}
	return s.fault(name, path)
}

func mac(key []byte, schema int, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	fmt.Fprintf(h, "%s%d\x00", macDomain, schema)
	h.Write(body)
	return h.Sum(nil)
}

func encode(key []byte, p *payload) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	env := envelope{
		Schema:  schemaVersion,
		MAC:     hex.EncodeToString(mac(key, schemaVersion, body)),
		Payload: body,
	}
	data, err := json.MarshalIndent(env, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// rejectError is the error of a file that must not be loaded.
type rejectError struct {
	rejection Rejection
	err       error
}

func (e *rejectError) Error() string {
	if e.err == nil {
		return "session: grant file rejected: " + e.rejection.String()
	}
	return "session: grant file rejected: " + e.rejection.String() + ": " + e.err.Error()
}

func (e *rejectError) Unwrap() error { return e.err }

func decode(key, data []byte) (*payload, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) && syntax.Offset >= int64(len(data)) {
			return nil, &rejectError{RejectTruncated, err}
		}
		return nil, &rejectError{RejectCorrupt, err}
	}
	if env.Schema != schemaVersion {
		return nil, &rejectError{RejectUnknownSchema,
			fmt.Errorf("schema version %d, want %d", env.Schema, schemaVersion)}
	}
	// The MAC covers the compact form of the payload, so the indentation
	// of the file does not matter but every byte of content does.
	var body bytes.Buffer
	if err := json.Compact(&body, env.Payload); err != nil {
		return nil, &rejectError{RejectCorrupt, err}
	}
	sum, err := hex.DecodeString(env.MAC)
	if err != nil || !hmac.Equal(sum, mac(key, env.Schema, body.Bytes())) {
		return nil, &rejectError{RejectTampered, errors.New("integrity check failed")}
	}
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	var p payload
	if err := dec.Decode(&p); err != nil {
		return nil, &rejectError{RejectCorrupt, err}
	}
	for _, g := range p.Grants {
		sc := Scope{Action: g.Action, Resource: g.Resource}
		if g.ID == "" || sc.validate() != nil || !g.ExpiresAt.After(g.GrantedAt) {
			return nil, &rejectError{RejectCorrupt, fmt.Errorf("invalid grant %q", g.ID)}
		}
	}
	return &p, nil
}

// secure checks that info describes a regular file that only this
// process's user can read or write.
func secure(info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return &rejectError{RejectInsecureMode, fmt.Errorf("%v is not a regular file", info.Mode())}
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return &rejectError{RejectInsecureMode, fmt.Errorf("mode %04o, want 0600", perm)}
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return &rejectError{RejectForeignOwner,
			fmt.Errorf("owned by uid %d, not %d", st.Uid, os.Geteuid())}
	}
	return nil
}

// readSecure reads the file at path after checking it through the open
// descriptor, so the file checked is the file read. A missing file
// returns an error matching fs.ErrNotExist; a file that fails a check
// returns a *rejectError; anything else is an I/O error.
func (s *store) readSecure(path string) ([]byte, error) {
	var data []byte
	err := s.withRetry(func() error {
		if err := s.op("open", path); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if errors.Is(err, syscall.ELOOP) {
			return &rejectError{RejectInsecureMode, errors.New("the file is a symbolic link")}
		}
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		if err := secure(info); err != nil {
			return err
		}
		if err := s.op("read", path); err != nil {
			return err
		}
		data, err = io.ReadAll(f)
		return err
	})
	return data, err
}

// moveAside renames a rejected file so that it stays for inspection and
// is never read again, and returns its new name.
func (s *store) moveAside(path string) (string, error) {
	aside := fmt.Sprintf("%s.rejected-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := s.op("rename", path); err != nil {
		return "", err
	}
	if err := os.Rename(path, aside); err != nil {
		return "", err
	}
	return aside, nil
}

// writeAtomic replaces the file at path with data: a temporary file in the
// same directory, mode 0600, synced, renamed over path, and the directory
// synced, so that a crash leaves either the old content or the new.
func (s *store) writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := s.ensureDir(dir); err != nil {
		return err
	}
	tmp, err := s.writeTemp(dir, path, data)
	if err != nil {
		return err
	}

	if err := s.op("rename", path); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return s.syncDir(dir)
}

// writeTemp writes data to a new temporary file beside path, with mode
// 0600 whatever the umask, syncs and closes it, and returns its name. On
// error it leaves no file behind.
func (s *store) writeTemp(dir, path string, data []byte) (name string, err error) {
	if err := s.op("create", path); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	if err := f.Chmod(0o600); err != nil {
		return "", err
	}
	if err := s.op("write", path); err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	if err := s.op("sync", path); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// removeTempFiles deletes temporary files that a write interrupted by a
// crash left beside the grant file and its key.
func (s *store) removeTempFiles() {
	for _, name := range []string{s.path, s.path + ".key"} {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(name),
			"."+filepath.Base(name)+".tmp-*"))
		for _, tmp := range matches {
			os.Remove(tmp)
		}
	}
}

// ensureDir creates dir with mode 0700 when it is missing. The explicit
// chmod makes the mode independent of the umask.
func (s *store) ensureDir(dir string) error {
	if err := s.op("mkdir", dir); err != nil {
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

func (s *store) syncDir(dir string) error {
	if err := s.op("syncdir", dir); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// remove deletes the grant file. When the directory refuses, as when it
// became read-only, it empties the file in place instead, so that the file
// loads zero grants.
//
// NOTE: On a read-only file system neither works, and a restart before
// the file can be written again loads grants revoked in the meantime.
func (s *store) remove() error {
	err := s.op("remove", s.path)
	if err == nil {
		err = os.Remove(s.path)
	}
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if emptyErr := s.empty(); emptyErr != nil {
		return errors.Join(err, emptyErr)
	}
	return nil
}

// empty truncates the grant file to zero bytes and syncs it. A file that
// fails the checks of readSecure is left alone, since it never loads.
func (s *store) empty() error {
	if err := s.op("truncate", s.path); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if secure(info) != nil {
		return nil
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	return f.Sync()
}

// withRetry runs fn again after a transient error (a busy, interrupted or
// would-block operation), waiting the delays of the retry schedule, and
// returns the last error.
func (s *store) withRetry(fn func() error) error {
	seq := s.retry.Start()
	for {
		err := fn()
		if err == nil || !transient(err) {
			return err
		}
		delay, ok := seq.Next()
		if !ok {
			return err
		}
		time.Sleep(delay)
	}
}

func transient(err error) bool {
	return errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EAGAIN) ||
		errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.ETXTBSY)
}

// loadKey returns the key kept beside the grant file, creating it when it
// is missing. When the key file cannot be read or written, it returns a
// new key with the error, to be used in memory and saved later. A key file that is unsafe or malformed is moved aside and
// replaced, so the old grant file fails its integrity check. The returned
// rejection, when not nil, is the reason the old key was not used.
func (s *store) loadKey() (key []byte, rejected error, err error) {
	path := s.path + ".key"
	data, err := s.readSecure(path)
	if err == nil {
		key, err = hex.DecodeString(strings.TrimSpace(string(data)))
		if err == nil && len(key) >= 16 {
			return key, nil, nil
		}
		err = &rejectError{RejectCorrupt, errors.New("the key file is not a hex key of 16 bytes or more")}
	}
	key = make([]byte, 32)
	rand.Read(key)
	var reject *rejectError
	switch {
	case errors.As(err, &reject):
		rejected = err
		s.moveAside(path)
	case !errors.Is(err, fs.ErrNotExist):
		// The key cannot be read: use a new one in memory, which
		// saveKey writes once the disk works.
		return key, nil, err
	}
	s.key = key
	return key, rejected, s.saveKey()
}

// saveKey writes s.key to the key file.
func (s *store) saveKey() error {
	return s.withRetry(func() error {
		return s.writeAtomic(s.path+".key", []byte(hex.EncodeToString(s.key)+"\n"))
	})
}
