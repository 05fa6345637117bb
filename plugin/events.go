package plugin

import (
	"fmt"
	"time"
)

// Outcome is the way a plugin process ended.
type Outcome int

const (
	// OutcomeOK means the process exited with status 0 or was stopped by
	// Close.
	OutcomeOK Outcome = iota
	// OutcomeCrashed means the process exited with a non-zero status, was
	// killed by a signal the host did not send, or exited before it
	// replied.
	OutcomeCrashed
	// OutcomeTimeout means a context deadline passed and the host killed
	// the process group.
	OutcomeTimeout
	// OutcomeCanceled means a context was cancelled and the host killed
	// the process group.
	OutcomeCanceled
	// OutcomeMalformed means the process wrote output that is not a
	// valid reply, or closed its standard input or output while it kept
	// running, and the host killed the process group.
	OutcomeMalformed
	// OutcomeStartFailed means the process could not be started.
	OutcomeStartFailed
)

// Outcomes returns every outcome, so that a metrics adapter can create
// its series up front.
func Outcomes() []Outcome {
	return []Outcome{
		OutcomeOK, OutcomeCrashed, OutcomeTimeout,
		OutcomeCanceled, OutcomeMalformed, OutcomeStartFailed,
	}
}

// String returns the outcome as a snake_case label, such as "timeout".
func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeCrashed:
		return "crashed"
	case OutcomeTimeout:
		return "timeout"
	case OutcomeCanceled:
		return "canceled"
	case OutcomeMalformed:
		return "malformed"
	case OutcomeStartFailed:
		return "start_failed"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// VerifyEvent describes one call of [Loader.Verify] or [Loader.Load].
type VerifyEvent struct {
	// Plugin is the requested plugin id.
	Plugin string
	// Version is the manifest's version, or empty if the manifest was
	// not authenticated and decoded.
	Version string
	// KeyID is the id of the key named in plugin.sig, or empty.
	KeyID string
	// Reason is the rejection reason, or ReasonNone when the plugin was
	// accepted or the call failed for another reason, which Err contains.
	Reason Reason
	// Err is the *RejectedError, or another error when the high-water
	// mark could not be saved or a copy could not be written; nil on
	// success.
	Err error
	// Duration is the time spent, file hashing included.
	Duration time.Duration
}

// RunEvent describes one plugin process from start to end.
type RunEvent struct {
	// Plugin and Version identify the plugin.
	Plugin, Version string
	// Outcome is the way the process ended.
	Outcome Outcome
	// ExitCode is the exit status, or -1 if a signal killed the process
	// or it never started.
	ExitCode int
	// Killed reports whether the host had to send SIGKILL to the process
	// group because SIGTERM did not end the process within the grace
	// period.
	Killed bool
	// Err is the error that ended the run, or nil for OutcomeOK.
	Err error
	// Duration is the time from start until the process group was gone
	// and its output pipes were closed.
	Duration time.Duration
}
