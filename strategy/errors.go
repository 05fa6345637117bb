package strategy

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. The typed errors below match them with [errors.Is].
var (
	// ErrStepFailed matches a [*StepError], including one for a timeout.
	ErrStepFailed = errors.New("strategy: step failed")

	// ErrStepTimeout matches a [*StepError] for a step that ran past its
	// timeout. It is also the cause of a timed-out attempt's context.
	ErrStepTimeout = errors.New("strategy: step timed out")

	// ErrPlanAborted matches a [*PlanError].
	ErrPlanAborted = errors.New("strategy: plan aborted")

	// ErrEnvironmentChanged matches an [*EnvironmentChangedError].
	ErrEnvironmentChanged = errors.New("strategy: environment changed")

	// ErrAttemptRunning reports that an abandoned attempt on the same
	// target was still running when [Config.AbandonWait] passed, so the
	// next attempt or undo on that target was not started.
	ErrAttemptRunning = errors.New("strategy: abandoned attempt still running on the target")

	// ErrUndoTimeout is the cause of an undo's context when
	// [Config.UndoTimeout] passes.
	ErrUndoTimeout = errors.New("strategy: undo timed out")
)

// EnvironmentChangedError reports that the environment a plan acts on
// changed under it, for example that the target window closed. A strategy
// or [Config.Probe] returns it to pause the plan and ask the [Prompter].
type EnvironmentChangedError struct {
	// Reason is the change, in words the user understands.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// EnvironmentChanged returns an [*EnvironmentChangedError] with the given
// reason.
func EnvironmentChanged(reason string) error {
	return &EnvironmentChangedError{Reason: reason}
}

func (e *EnvironmentChangedError) Error() string {
	msg := "strategy: environment changed"
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *EnvironmentChangedError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrEnvironmentChanged].
func (e *EnvironmentChangedError) Is(target error) bool { return target == ErrEnvironmentChanged }

// Code returns "ERR-EnvironmentChanged".
func (e *EnvironmentChangedError) Code() string { return "ERR-EnvironmentChanged" }

// Retryable returns false: the step fails the same way until the user
// restores what changed, such as reopening the target window.
func (e *EnvironmentChangedError) Retryable() bool { return false }

// StepError reports a step that failed: every strategy failed, the step
// timed out, or an abandoned attempt kept it from starting.
type StepError struct {
	Step     string // the step's name
	Index    int    // the step's position in the plan, from 0
	Attempts int    // attempts made, not-ready strategies included
	TimedOut bool   // the step ran past its timeout

	// Elapsed is the step's running time, paused time excluded.
	Elapsed time.Duration

	// Err is the error of the last attempt, nil if none was made.
	Err error

	// Cause is the reason the step stopped when it was not that every
	// strategy failed: [context.DeadlineExceeded] for a timeout or an
	// error matching [ErrAttemptRunning].
	Cause error
}

func (e *StepError) Error() string {
	var b strings.Builder
	if e.TimedOut {
		fmt.Fprintf(&b, "strategy: step %q timed out after %v", e.Step, e.Elapsed)
	} else {
		fmt.Fprintf(&b, "strategy: step %q failed after %d attempts", e.Step, e.Attempts)
	}
	if e.Cause != nil && !e.TimedOut {
		b.WriteString(": " + e.Cause.Error())
	}
	if e.Err != nil {
		b.WriteString(": last attempt: " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the last attempt's error and the cause, whichever are set.
func (e *StepError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// Is reports whether target is [ErrStepFailed], or [ErrStepTimeout] for
// a step that timed out.
func (e *StepError) Is(target error) bool {
	return target == ErrStepFailed || (target == ErrStepTimeout && e.TimedOut)
}

// Code returns "ERR-StepTimeout" for a timeout and "ERR-StepFailed"
// otherwise.
func (e *StepError) Code() string {
	if e.TimedOut {
		return "ERR-StepTimeout"
	}
	return "ERR-StepFailed"
}

// PlanError reports a plan that stopped before its last step: a step
// failed under [PolicyAbort], the [Prompter] chose to abort, or the plan's
// context was done. It unwraps to the original error only: undo failures
// are listed in Undos and never replace it.
type PlanError struct {
	Step  string // the step during which the plan stopped, "" if none ran
	Index int    // that step's position, -1 if none ran

	// Err is the reason the plan stopped: a [*StepError], an
	// [*EnvironmentChangedError], the context's cause or the prompter's
	// error.
	Err error

	// Undos is the outcome of each undo run during rollback, in the order
	// run. UndoFailed counts those that did not succeed.
	Undos      []UndoResult
	UndoFailed int
}

func (e *PlanError) Error() string {
	msg := "strategy: plan aborted"
	if e.Step != "" {
		msg += fmt.Sprintf(" at step %q", e.Step)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.UndoFailed > 0 {
		msg += fmt.Sprintf(" (rollback: %d of %d undos failed)", e.UndoFailed, len(e.Undos))
	}
	return msg
}

// Unwrap returns the reason the plan stopped.
func (e *PlanError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrPlanAborted].
func (e *PlanError) Is(target error) bool { return target == ErrPlanAborted }

// Code returns "ERR-PlanAborted".
func (e *PlanError) Code() string { return "ERR-PlanAborted" }

// PanicError is the error of an attempt or undo whose function panicked.
// The panic is recovered on the attempt's goroutine, which no caller could
// recover, and counts as a failure so the next strategy can run.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("strategy: panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error, and nil otherwise.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Code returns "ERR-StrategyPanic".
func (e *PanicError) Code() string { return "ERR-StrategyPanic" }
