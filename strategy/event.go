package strategy

import (
	"fmt"
	"time"
)

// EventKind is the transition an [Event] reports. The set is closed:
// [EventKinds] lists every kind.
type EventKind int

const (
	// EventPlanStart opens every run.
	EventPlanStart EventKind = iota
	// EventStepStart: a step begins. Steps not reached get no event.
	EventStepStart
	// EventAttemptStart: a strategy is about to execute.
	EventAttemptStart
	// EventAttemptEnd: an attempt ended with Outcome. A strategy that is
	// not ready gets this event, with OutcomeNotReady, and no start.
	EventAttemptEnd
	// EventFallback: a strategy failed and Next is tried after it.
	EventFallback
	// EventTimeout: the step ran past its timeout (Elapsed).
	EventTimeout
	// EventAbandon: an attempt or undo had not returned within the
	// cancel grace and is left running.
	EventAbandon
	// EventPause: the environment changed (Err) and the plan waits for
	// the prompter.
	EventPause
	// EventResume: the prompter decided (Decision) after Elapsed paused.
	EventResume
	// EventStepEnd: a step ended with Status.
	EventStepEnd
	// EventUndoStart: an undo is about to run during rollback.
	EventUndoStart
	// EventUndoEnd: an undo ended with Outcome.
	EventUndoEnd
	// EventPlanEnd closes every run; Err is the error Run returns.
	EventPlanEnd
)

// EventKinds returns every event kind.
func EventKinds() []EventKind {
	return []EventKind{EventPlanStart, EventStepStart, EventAttemptStart,
		EventAttemptEnd, EventFallback, EventTimeout, EventAbandon, EventPause,
		EventResume, EventStepEnd, EventUndoStart, EventUndoEnd, EventPlanEnd}
}

// String returns the kind's snake_case name.
func (k EventKind) String() string {
	switch k {
	case EventPlanStart:
		return "plan_start"
	case EventStepStart:
		return "step_start"
	case EventAttemptStart:
		return "attempt_start"
	case EventAttemptEnd:
		return "attempt_end"
	case EventFallback:
		return "fallback"
	case EventTimeout:
		return "timeout"
	case EventAbandon:
		return "abandon"
	case EventPause:
		return "pause"
	case EventResume:
		return "resume"
	case EventStepEnd:
		return "step_end"
	case EventUndoStart:
		return "undo_start"
	case EventUndoEnd:
		return "undo_end"
	case EventPlanEnd:
		return "plan_end"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event describes one transition of a run. Fields that do not apply to
// the kind are zero.
//
// Within a run, events arrive in this order:
//
//   - EventPlanStart.
//   - For each step reached, EventStepStart, then for each attempt
//     EventAttemptStart, possibly EventTimeout and EventAbandon, then
//     EventAttemptEnd and, when another strategy follows, EventFallback.
//     A pause adds EventPause and EventResume. EventStepEnd closes the
//     step.
//   - On abort, EventUndoStart and EventUndoEnd for each undo, possibly
//     with EventAbandon between them.
//   - EventPlanEnd.
//
// Abandoned goroutines that return after Run emit nothing.
type Event struct {
	Kind EventKind
	Plan string // Config.Name

	Step     string // step events: the step's name
	Index    int    // the step's position in the plan, from 0
	StepKind string // Step.Kind, or the name when Kind is empty
	Target   string // Step.Target

	// Strategy is the strategy of an attempt or undo event, and of a
	// pause that interrupted an attempt or came from the strategy's Ready.
	Strategy string

	// Attempt numbers the attempts within a step from 1.
	Attempt int

	Outcome  Outcome    // EventAttemptEnd, EventUndoEnd
	Status   StepStatus // EventStepEnd
	Decision Decision   // EventResume
	Next     string     // EventFallback: the strategy tried next

	// Err is the attempt's, step's, undo's, pause's or plan's error.
	Err error

	// Elapsed is the running time of the attempt, step (pauses
	// excluded), undo or plan; for EventResume, the time paused.
	Elapsed time.Duration
}
