package plugin

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultGrace          = 2 * time.Second
	DefaultMaxReplyBytes  = 1 << 20
	DefaultMaxStderrBytes = 64 << 10
	DefaultCPUTime        = 60 * time.Second
	DefaultAddressSpace   = 4 << 30
	DefaultOpenFiles      = 256
)

// DefaultEnv is the environment allowlist used when Config.Env is nil:
// variables that locate programs and set the locale, none of them secret.
var DefaultEnv = []string{"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ"}

// clockSkew is how far in the future a manifest's issue time may be
// before it is rejected, to tolerate clocks that differ a little.
const clockSkew = 5 * time.Minute

// Config configures a Loader. The zero value is invalid because
// TrustedKeys is required; every other zero field selects the default
// named beside it.
type Config struct {
	// TrustedKeys are the public keys whose signatures are accepted,
	// pinned by their KeyID. At least one is required.
	TrustedKeys []ed25519.PublicKey
	// RevokedKeys are key ids, as KeyID returns them (16 hex digits,
	// matched in either case), whose signatures are rejected even if the
	// key is also in TrustedKeys.
	RevokedKeys []string
	// StateFile is the path of the file that stores the highest loaded
	// version of each plugin, so a rollback is rejected across restarts.
	// It is replaced atomically with mode 0600. Load reads it again
	// before it raises a mark, so Loaders that share it keep each other's
	// marks, while Verify checks the marks this Loader read last. Empty
	// keeps the marks in memory for the Loader's lifetime only.
	StateFile string
	// HostAPI is the host's API version, checked against each manifest's
	// host_api range. Empty skips the check.
	HostAPI string
	// CopyDir is the directory under which Load makes each plugin's
	// private 0700 copy. Empty means os.TempDir().
	CopyDir string
	// Env is the allowlist of host environment variable names passed to
	// plugin processes. Nil means DefaultEnv; an empty non-nil slice
	// passes none. HOME, TMPDIR and PWD are always set to the process's
	// private working directory.
	Env []string
	// Grace is how long a process may take to exit after SIGTERM before
	// its process group gets SIGKILL. Zero means DefaultGrace.
	Grace time.Duration
	// Limits are the resource limits of plugin processes.
	Limits Limits
	// MaxReplyBytes is the longest reply line accepted, newline
	// excluded. Zero means DefaultMaxReplyBytes.
	MaxReplyBytes int
	// MaxStderrBytes is how much of a process's standard error is kept:
	// the last MaxStderrBytes bytes. Zero means DefaultMaxStderrBytes.
	MaxStderrBytes int
	// Now returns the current time for expiry checks. Nil means
	// time.Now.
	Now func() time.Time
	// Logger receives the security events of rejected plugins at Error
	// level with event=plugin.verify_failed, and the end of each plugin
	// process at Debug (Warn when it did not end cleanly). Nil is silent.
	Logger *slog.Logger
	// OnVerify, if set, is called once per Verify or Load call, on the
	// caller's goroutine, after logging and before the call returns.
	OnVerify func(VerifyEvent)
	// OnRun, if set, is called once per Start call that gets past its
	// context check. For a process that started, it is called on the
	// goroutine that supervises it, after the process group is gone and
	// before Close returns. For a start failure, including a failed
	// preflight, it is called on the goroutine of Start before Start
	// returns.
	OnRun func(RunEvent)
}

// Limits are resource limits of a plugin process. On Linux they are in
// place before it runs its first instruction, unless the host may not
// trace its child (ptrace); then they are set right after it starts. A
// zero field selects the default named beside it; a negative field
// removes that limit. Core dumps are always disabled.
type Limits struct {
	// CPUTime is the CPU time after which the process gets SIGXCPU, and
	// SIGKILL one second later. Zero means DefaultCPUTime.
	CPUTime time.Duration
	// AddressSpace is the largest virtual memory size in bytes. Zero
	// means DefaultAddressSpace.
	AddressSpace int64
	// OpenFiles is the largest number of open file descriptors. Zero
	// means DefaultOpenFiles.
	OpenFiles int64
}

// Loader verifies and loads signed plugins. It is safe for concurrent use.
type Loader struct {
	cfg     Config
	trusted map[string]ed25519.PublicKey
	revoked map[string]bool

	// mu guards marks and serialises writes of the state file.
	mu    sync.Mutex
	marks map[string]string
}

// New returns a Loader for cfg. It rejects an invalid field by name, and a
// state file that exists but cannot be read or parsed, because forgetting
// the high-water marks would permit rollbacks.
func New(cfg Config) (*Loader, error) {
	if len(cfg.TrustedKeys) == 0 {
		return nil, errors.New("plugin: Config.TrustedKeys is empty")
	}
	l := &Loader{
		cfg:     cfg,
		trusted: make(map[string]ed25519.PublicKey, len(cfg.TrustedKeys)),
		revoked: make(map[string]bool, len(cfg.RevokedKeys)),
	}
	for i, k := range cfg.TrustedKeys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("plugin: Config.TrustedKeys[%d] has %d bytes, want %d", i, len(k), ed25519.PublicKeySize)
		}
		l.trusted[KeyID(k)] = k
	}
	for i, id := range cfg.RevokedKeys {
		id = strings.ToLower(id)
		if !validKeyID(id) {
			return nil, fmt.Errorf("plugin: Config.RevokedKeys[%d]: %q is not a key id of 16 hex digits", i, cfg.RevokedKeys[i])
		}
		l.revoked[id] = true
	}
	if err := validateSettings(cfg); err != nil {
		return nil, err
	}
	if cfg.Env == nil {
		l.cfg.Env = DefaultEnv
	}
	marks, err := readMarks(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	l.marks = marks
	return l, nil
}

// validKeyID reports whether id has the form KeyID returns.
func validKeyID(id string) bool {
	d, err := hex.DecodeString(id)
	return err == nil && len(d) == 8
}

func validateSettings(cfg Config) error {
	if cfg.HostAPI != "" {
		if _, err := parseVersion(cfg.HostAPI); err != nil {
			return fmt.Errorf("plugin: Config.HostAPI: %w", err)
		}
	}
	switch {
	case cfg.Grace < 0:
		return errors.New("plugin: Config.Grace is negative")
	case cfg.MaxReplyBytes < 0:
		return errors.New("plugin: Config.MaxReplyBytes is negative")
	case cfg.MaxStderrBytes < 0:
		return errors.New("plugin: Config.MaxStderrBytes is negative")
	}
	for _, name := range cfg.Env {
		if name == "" || name == "HOME" || name == "TMPDIR" || name == "PWD" || strings.ContainsAny(name, "=\x00") {
			return fmt.Errorf("plugin: Config.Env: %q cannot be allowlisted", name)
		}
	}
	return nil
}

func (l *Loader) now() time.Time {
	if l.cfg.Now != nil {
		return l.cfg.Now()
	}
	return time.Now()
}

func (l *Loader) grace() time.Duration {
	if l.cfg.Grace == 0 {
		return DefaultGrace
	}
	return l.cfg.Grace
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
