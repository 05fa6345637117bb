package strategy

import (
	"context"
	"fmt"
	"time"
)

// Outcome is the way one attempt or undo ended.
type Outcome int

const (
	// OutcomeSucceeded: Execute, and Verify if implemented, returned nil.
	OutcomeSucceeded Outcome = iota
	// OutcomeFailed: Execute returned an error or panicked.
	OutcomeFailed
	// OutcomeVerifyFailed: Execute returned nil and Verify an error.
	OutcomeVerifyFailed
	// OutcomeNotReady: Ready returned an error, so Execute was not called.
	OutcomeNotReady
	// OutcomeTimedOut: the step's or undo's timeout passed first.
	OutcomeTimedOut
	// OutcomeInterrupted: the environment changed during the attempt.
	OutcomeInterrupted
	// OutcomeCanceled: the plan's context was done during the attempt.
	OutcomeCanceled
)

// Outcomes returns every outcome, for callers that pre-create one series
// per value.
func Outcomes() []Outcome {
	return []Outcome{OutcomeSucceeded, OutcomeFailed, OutcomeVerifyFailed,
		OutcomeNotReady, OutcomeTimedOut, OutcomeInterrupted, OutcomeCanceled}
}

// String returns the outcome's snake_case name.
func (o Outcome) String() string {
	switch o {
	case OutcomeSucceeded:
		return "succeeded"
	case OutcomeFailed:
		return "failed"
	case OutcomeVerifyFailed:
		return "verify_failed"
	case OutcomeNotReady:
		return "not_ready"
	case OutcomeTimedOut:
		return "timed_out"
	case OutcomeInterrupted:
		return "interrupted"
	case OutcomeCanceled:
		return "canceled"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// StepStatus is the state a step ended in.
type StepStatus int

const (
	// StepNotRun: the plan stopped before the step.
	StepNotRun StepStatus = iota
	// StepSucceeded: one of the strategies succeeded.
	StepSucceeded
	// StepFailed: every strategy failed, or an abandoned attempt on the
	// target kept the step from starting.
	StepFailed
	// StepTimedOut: the step ran past its timeout.
	StepTimedOut
	// StepSkipped: the prompter chose to skip the step.
	StepSkipped
	// StepAborted: the plan stopped during the step because the prompter
	// chose to abort or the plan's context was done.
	StepAborted
)

// StepStatuses returns every step status, for callers that pre-create one
// series per value.
func StepStatuses() []StepStatus {
	return []StepStatus{StepNotRun, StepSucceeded, StepFailed, StepTimedOut,
		StepSkipped, StepAborted}
}

// String returns the status's snake_case name.
func (s StepStatus) String() string {
	switch s {
	case StepNotRun:
		return "not_run"
	case StepSucceeded:
		return "succeeded"
	case StepFailed:
		return "failed"
	case StepTimedOut:
		return "timed_out"
	case StepSkipped:
		return "skipped"
	case StepAborted:
		return "aborted"
	}
	return fmt.Sprintf("StepStatus(%d)", int(s))
}

// Attempt is the record of one strategy's attempt at a step.
type Attempt struct {
	Strategy string
	Outcome  Outcome
	Err      error         // nil when the attempt succeeded
	Elapsed  time.Duration // from the start until the plan stopped waiting

	// Acted reports whether the strategy may have changed the
	// environment: it succeeded, failed verification or reported an
	// environment change, or the step's timeout, the plan's cancellation
	// or an environment change reported by the probe stopped it while it
	// ran.
	Acted bool

	// Abandoned reports that the attempt had not returned within
	// [Config.CancelGrace] after its context was cancelled. Its goroutine
	// may still be running; see [Result.Running].
	Abandoned bool
}

// StepResult is the account of one step.
type StepResult struct {
	Name   string
	Status StepStatus

	// Winner is the strategy that succeeded, "" if none did.
	Winner string

	// Attempts lists every attempt in the order made, the failures before
	// the winner included. A strategy appears again only after a pause
	// that resumed or retried the step.
	Attempts []Attempt

	// Order is the strategy order a [Ranker] chose, nil without a Ranker.
	// Reranked reports whether it differs from the step's own order.
	Order    []string
	Reranked bool

	// Retries counts prompter decisions to retry the step.
	Retries int

	Elapsed time.Duration // running time, paused time excluded
	Paused  time.Duration // time spent waiting for the prompter

	// Err is the step's error: a [*StepError] for a failure or timeout,
	// the environment change or context cause for an aborted step, nil
	// otherwise.
	Err error
}

// acted reports whether any attempt of the step may have changed the
// environment.
func (s *StepResult) acted() bool {
	for i := range s.Attempts {
		if s.Attempts[i].Acted {
			return true
		}
	}
	return false
}

// UndoResult is the outcome of one undo during rollback.
type UndoResult struct {
	Step  string
	Index int

	// Strategy is the strategy whose [Undoer] ran, "" for [Step.Undo].
	Strategy string

	Outcome   Outcome // OutcomeSucceeded, OutcomeFailed or OutcomeTimedOut
	Err       error
	Elapsed   time.Duration
	Abandoned bool // the undo had not returned within Config.CancelGrace
}

// Result is the account of one run of a plan. It is not safe for
// concurrent use, except [Result.Running] and [Result.Wait].
type Result struct {
	// Steps has one entry per plan step, in plan order.
	Steps []StepResult

	// Undos lists every undo run during rollback, in the order run.
	Undos []UndoResult

	// Abandoned counts the attempts and undos that had not returned
	// within Config.CancelGrace after their context was cancelled.
	Abandoned int

	// Err is the error Run returned.
	Err error

	pending []*pending
}

// Running returns how many abandoned attempts and undos are still
// running. These goroutines are the only ones a run leaves behind: Go
// cannot stop a function that ignores its context, so each one ends when
// its function returns.
func (r *Result) Running() int {
	n := 0
	for _, p := range r.pending {
		if !p.finished() {
			n++
		}
	}
	return n
}

// Wait blocks until every abandoned attempt and undo has returned, or ctx
// is done, in which case it returns the context's cause.
func (r *Result) Wait(ctx context.Context) error {
	for _, p := range r.pending {
		select {
		case <-p.done:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}
