package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Each typed error in this package matches one of them
// with errors.Is.
var (
	// ErrRejected matches every *RejectedError: the plugin failed
	// verification and must not run.
	ErrRejected = errors.New("plugin: plugin rejected")
	// ErrMissingDependency matches every *MissingDependencyError.
	ErrMissingDependency = errors.New("plugin: missing dependency")
	// ErrCrashed matches a *RunError for a process that exited or was
	// killed by a signal the host did not send.
	ErrCrashed = errors.New("plugin: plugin process crashed")
	// ErrMalformedReply matches a *RunError for a reply that is not one
	// line of valid JSON within the size limit, for output that no
	// request asked for, or for standard input or output closed while the
	// process runs.
	ErrMalformedReply = errors.New("plugin: malformed reply")
	// ErrStartFailed matches a *RunError for a process that could not be
	// started for a reason other than a missing dependency.
	ErrStartFailed = errors.New("plugin: plugin process failed to start")
	// ErrClosed is returned by a call made on a process that the host
	// already stopped with Close.
	ErrClosed = errors.New("plugin: plugin process closed")
)

// Reason is the cause of a verification rejection. The set is closed, so
// every rejection carries exactly one of these values.
type Reason int

const (
	// ReasonNone means the plugin was accepted.
	ReasonNone Reason = iota
	// ReasonSignatureMissing means plugin.sig does not exist.
	ReasonSignatureMissing
	// ReasonSignatureInvalid means plugin.sig is malformed or its
	// signature does not verify over plugin.json.
	ReasonSignatureInvalid
	// ReasonKeyUnknown means the signing key id is not a trusted key.
	ReasonKeyUnknown
	// ReasonKeyRevoked means the signing key id has been revoked.
	ReasonKeyRevoked
	// ReasonManifestInvalid means plugin.json is signed but malformed or
	// missing a required field.
	ReasonManifestInvalid
	// ReasonUnknownField means plugin.json holds a field this version of
	// the host does not know.
	ReasonUnknownField
	// ReasonWrongPlugin means the manifest names another plugin id than
	// the one requested.
	ReasonWrongPlugin
	// ReasonWrongVersion means the manifest names another version than
	// the one requested.
	ReasonWrongVersion
	// ReasonRollback means the version is lower than the highest version
	// of the same plugin loaded before.
	ReasonRollback
	// ReasonExpired means the manifest's expiry time has passed.
	ReasonExpired
	// ReasonNotYetValid means the manifest's issue time is in the future.
	ReasonNotYetValid
	// ReasonHostAPI means the host's API version is outside the
	// manifest's host API range.
	ReasonHostAPI
	// ReasonPathEscape means a path is absolute, contains "..", or is a
	// symbolic link, device, named pipe or socket.
	ReasonPathEscape
	// ReasonFileMissing means a file listed in the manifest does not exist.
	ReasonFileMissing
	// ReasonFileExtra means the directory holds a file the manifest does
	// not list.
	ReasonFileExtra
	// ReasonFileMismatch means a file's SHA-256 digest or size differs
	// from the manifest.
	ReasonFileMismatch
	// ReasonIO means the plugin directory could not be read. The plugin
	// is rejected because it could not be verified.
	ReasonIO
)

var reasonNames = [...]string{
	ReasonNone:             "none",
	ReasonSignatureMissing: "signature_missing",
	ReasonSignatureInvalid: "signature_invalid",
	ReasonKeyUnknown:       "key_unknown",
	ReasonKeyRevoked:       "key_revoked",
	ReasonManifestInvalid:  "manifest_invalid",
	ReasonUnknownField:     "unknown_field",
	ReasonWrongPlugin:      "wrong_plugin",
	ReasonWrongVersion:     "wrong_version",
	ReasonRollback:         "rollback",
	ReasonExpired:          "expired",
	ReasonNotYetValid:      "not_yet_valid",
	ReasonHostAPI:          "host_api",
	ReasonPathEscape:       "path_escape",
	ReasonFileMissing:      "file_missing",
	ReasonFileExtra:        "file_extra",
	ReasonFileMismatch:     "file_mismatch",
	ReasonIO:               "io",
}

// Reasons returns every rejection reason, ReasonNone excluded, so that a
// metrics adapter can create its series up front.
func Reasons() []Reason {
	rs := make([]Reason, 0, len(reasonNames)-1)
	for r := ReasonNone + 1; int(r) < len(reasonNames); r++ {
		rs = append(rs, r)
	}
	return rs
}

// String returns the reason as a snake_case label, such as "rollback".
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// RejectedError is the error of a plugin that failed verification.
type RejectedError struct {
	// Plugin is the requested plugin id.
	Plugin string
	// Dir is the plugin directory that was verified.
	Dir string
	// Reason is the cause of the rejection.
	Reason Reason
	// Detail names the offending file, field, key id or version.
	Detail string
	// Err is the underlying error, if any.
	Err error
}

// Error returns the reason and detail, prefixed with "plugin: ".
func (e *RejectedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin: rejected plugin %q: %s", e.Plugin, reasonText[e.Reason])
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

var reasonText = map[Reason]string{
	ReasonSignatureMissing: "signature file plugin.sig is missing",
	ReasonSignatureInvalid: "signature is invalid",
	ReasonKeyUnknown:       "signing key is not trusted",
	ReasonKeyRevoked:       "signing key is revoked",
	ReasonManifestInvalid:  "manifest is invalid",
	ReasonUnknownField:     "manifest has an unknown field",
	ReasonWrongPlugin:      "manifest is for another plugin",
	ReasonWrongVersion:     "manifest is for another version",
	ReasonRollback:         "version is lower than one loaded before",
	ReasonExpired:          "manifest has expired",
	ReasonNotYetValid:      "manifest is not valid yet",
	ReasonHostAPI:          "host API version is outside the supported range",
	ReasonPathEscape:       "path escapes the plugin directory",
	ReasonFileMissing:      "file is missing",
	ReasonFileExtra:        "file is not listed in the manifest",
	ReasonFileMismatch:     "file differs from the manifest",
	ReasonIO:               "plugin directory could not be read",
}

// Code returns "ERR-PluginRejected".
func (e *RejectedError) Code() string { return "ERR-PluginRejected" }

// Is reports whether target is ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Unwrap returns the underlying error.
func (e *RejectedError) Unwrap() error { return e.Err }

// Retryable reports whether loading the same directory again can succeed:
// only when the directory could not be read. A plugin that failed
// verification fails it again until its files or signature change.
func (e *RejectedError) Retryable() bool { return e.Reason == ReasonIO }

// DependencyKind is the kind of a declared dependency.
type DependencyKind int

const (
	// DependencyExecutable is a program that must be on the plugin's PATH.
	DependencyExecutable DependencyKind = iota + 1
	// DependencyEnv is an environment variable that must be set and
	// passed to the plugin.
	DependencyEnv
	// DependencyPlatform is the operating system and architecture pair.
	DependencyPlatform
	// DependencyInterpreter is the program named by the entry point's
	// "#!" line, or the dynamic loader of a binary entry point.
	DependencyInterpreter
)

// String returns the kind's lower-case name.
func (k DependencyKind) String() string {
	switch k {
	case DependencyExecutable:
		return "executable"
	case DependencyEnv:
		return "env"
	case DependencyPlatform:
		return "platform"
	case DependencyInterpreter:
		return "interpreter"
	}
	return fmt.Sprintf("DependencyKind(%d)", int(k))
}

// Dependency is one unmet requirement of a plugin.
type Dependency struct {
	Kind DependencyKind
	// Name is the executable, variable, interpreter path or the
	// platforms the plugin supports.
	Name string
	// Hint is the action that meets the requirement, for the user.
	Hint string
}

// MissingDependencyError lists every unmet requirement of a plugin, found
// before launch or when the entry point failed to start.
type MissingDependencyError struct {
	// Plugin is the plugin id.
	Plugin string
	// Missing holds one entry per unmet requirement, in manifest order.
	Missing []Dependency
	// Err is the start error when the entry point failed to start, or nil
	// when the preflight check found the problem.
	Err error
}

// Error lists every missing dependency with its hint.
func (e *MissingDependencyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin: plugin %q is missing %d dependenc", e.Plugin, len(e.Missing))
	if len(e.Missing) == 1 {
		b.WriteString("y")
	} else {
		b.WriteString("ies")
	}
	for i, d := range e.Missing {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %q (%s)", d.Kind, d.Name, d.Hint)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Code returns "ERR-MissingDependency".
func (e *MissingDependencyError) Code() string { return "ERR-MissingDependency" }

// Is reports whether target is ErrMissingDependency.
func (e *MissingDependencyError) Is(target error) bool { return target == ErrMissingDependency }

// Unwrap returns the start error, if any.
func (e *MissingDependencyError) Unwrap() error { return e.Err }

// Retryable returns false: starting the plugin again fails the same way
// until the user installs what it lists.
func (e *MissingDependencyError) Retryable() bool { return false }

// RunError is the error of a plugin process that did not produce a reply:
// it crashed, timed out, was cancelled, replied with malformed output, or
// could not start.
type RunError struct {
	// Plugin is the plugin id.
	Plugin string
	// Outcome is the way the process ended.
	Outcome Outcome
	// ExitCode is the process's exit status, or -1 if a signal killed it
	// or it has not exited.
	ExitCode int
	// Signal names the signal that killed the process, or is empty.
	Signal string
	// Err is the cause: a context error, a decoding error or a start
	// error.
	Err error
}

// Error describes the outcome, prefixed with "plugin: ".
func (e *RunError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin: plugin %q %s", e.Plugin, outcomeText[e.Outcome])
	switch {
	case e.Signal != "":
		fmt.Fprintf(&b, " (signal %s)", e.Signal)
	case e.ExitCode > 0:
		fmt.Fprintf(&b, " (exit status %d)", e.ExitCode)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

var outcomeText = map[Outcome]string{
	OutcomeOK:          "stopped",
	OutcomeCrashed:     "crashed",
	OutcomeTimeout:     "timed out",
	OutcomeCanceled:    "was cancelled",
	OutcomeMalformed:   "sent a malformed reply",
	OutcomeStartFailed: "failed to start",
}

// Code returns a stable code for the outcome: ERR-PluginCrashed,
// ERR-PluginTimeout, ERR-PluginCanceled, ERR-PluginProtocol or
// ERR-PluginStartFailed.
func (e *RunError) Code() string {
	switch e.Outcome {
	case OutcomeTimeout:
		return "ERR-PluginTimeout"
	case OutcomeCanceled:
		return "ERR-PluginCanceled"
	case OutcomeMalformed:
		return "ERR-PluginProtocol"
	case OutcomeStartFailed:
		return "ERR-PluginStartFailed"
	}
	return "ERR-PluginCrashed"
}

// Unwrap returns the sentinel that matches the outcome and the cause, so
// errors.Is works for ErrCrashed, ErrMalformedReply, ErrStartFailed,
// context.DeadlineExceeded and context.Canceled.
func (e *RunError) Unwrap() []error {
	var errs []error
	switch e.Outcome {
	case OutcomeCrashed, OutcomeOK:
		errs = append(errs, ErrCrashed)
	case OutcomeMalformed:
		errs = append(errs, ErrMalformedReply)
	case OutcomeStartFailed:
		errs = append(errs, ErrStartFailed)
	case OutcomeTimeout:
		errs = append(errs, context.DeadlineExceeded)
	case OutcomeCanceled:
		errs = append(errs, context.Canceled)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
