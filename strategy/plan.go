package strategy

import (
	"context"
	"fmt"
	"time"
)

// Default settings that the zero values of [Step] and [Config] stand for.
const (
	DefaultStepTimeout = 30 * time.Second
	DefaultUndoTimeout = 10 * time.Second
	DefaultCancelGrace = 100 * time.Millisecond
	DefaultAbandonWait = 5 * time.Second
)

// maxStrategies bounds the strategies of one step, so the set of failed
// strategies fits in one word.
const maxStrategies = 64

// Policy is the plan's response to a failed step.
type Policy int

const (
	// PolicyDefault aborts for steps with side effects and continues for
	// steps marked [Step.ReadOnly].
	PolicyDefault Policy = iota
	// PolicyContinue records the failure and runs the next step.
	PolicyContinue
	// PolicyAbort stops the plan and rolls back the steps that acted.
	PolicyAbort
)

// String returns the policy's lower-case name.
func (p Policy) String() string {
	switch p {
	case PolicyDefault:
		return "default"
	case PolicyContinue:
		return "continue"
	case PolicyAbort:
		return "abort"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Step is one action of a plan, with the strategies that can carry it out
// in rank order, best first.
type Step struct {
	// Name identifies the step in results, events and errors. Required.
	Name string

	// Kind groups steps for a [Ranker], such as "click" or "type-text".
	// Empty means Name.
	Kind string

	// Target names what the step acts on, such as a window. An abandoned
	// attempt blocks later attempts and undos on the same target. Empty
	// means the step may act on anything, so it conflicts with every
	// target.
	Target string

	// Strategies are tried in this order unless a Ranker reorders them.
	// Required: 1 to 64 strategies with distinct, non-empty names.
	Strategies []Strategy

	// Timeout bounds the step's running time, all attempts together and
	// paused time excluded. Zero means [DefaultStepTimeout].
	Timeout time.Duration

	// ReadOnly marks a step without side effects. With PolicyDefault a
	// failed read-only step lets the plan continue; any other failed step
	// aborts it.
	ReadOnly bool

	// OnFailure is the policy applied when the step fails or times out.
	// Zero means PolicyDefault.
	OnFailure Policy

	// Undo reverses the step's effect during rollback. It is registered
	// with the step, so it is known before any strategy acts, and it runs
	// for a step that succeeded or whose attempt may have acted (timed out,
	// abandoned, failed verification, interrupted). Nil means each
	// strategy that may have acted and implements [Undoer] is undone,
	// latest first.
	Undo func(ctx context.Context) error
}

// abort reports whether a failure of the step aborts the plan.
func (s *Step) abort() bool {
	if s.OnFailure == PolicyDefault {
		return !s.ReadOnly
	}
	return s.OnFailure == PolicyAbort
}

// Decision is the user's choice after a pause. The zero value aborts, so
// a prompter that returns no decision cannot let the plan carry on.
type Decision int

const (
	// DecisionAbort stops the plan and rolls back the steps that acted.
	DecisionAbort Decision = iota
	// DecisionResume continues the step where it paused: the interrupted
	// strategy runs again with the step's remaining time.
	DecisionResume
	// DecisionRetry starts the step again: every strategy may run again
	// and the step's timeout starts afresh.
	DecisionRetry
	// DecisionSkip leaves the step as skipped and runs the next step.
	DecisionSkip
)

// String returns the decision's lower-case name.
func (d Decision) String() string {
	switch d {
	case DecisionAbort:
		return "abort"
	case DecisionResume:
		return "resume"
	case DecisionRetry:
		return "retry"
	case DecisionSkip:
		return "skip"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// PauseInfo describes a pause for the [Prompter].
type PauseInfo struct {
	Step  string // the paused step's name
	Index int    // its position in the plan, from 0

	// Strategy is the strategy that was interrupted or whose Ready
	// reported the change, or "" when the probe reported it before an
	// attempt started.
	Strategy string

	// Err is the [*EnvironmentChangedError] that paused the plan.
	Err error
}

// Prompter prompts the user to decide how a paused plan goes on after
// the environment changed.
type Prompter interface {
	// Prompt blocks until the user decides, and must return soon after
	// ctx is done, because [Plan.Run] calls it on the goroutine that
	// called Run and cannot end before it returns. An error, or any
	// decision returned once ctx is done, aborts the plan. Prompt is not
	// called when ctx is already done.
	Prompt(ctx context.Context, p PauseInfo) (Decision, error)
}

// PrompterFunc adapts a function to [Prompter].
type PrompterFunc func(ctx context.Context, p PauseInfo) (Decision, error)

// Prompt calls f(ctx, p).
func (f PrompterFunc) Prompt(ctx context.Context, p PauseInfo) (Decision, error) {
	return f(ctx, p)
}

// Config holds the settings of a [Plan]. The zero value is valid.
//
// Probe, Prompter and OnEvent run on the goroutine that called
// [Plan.Run]. A panic in one of them is not recovered, so it ends Run
// without a rollback, as a panic in the caller's own code would.
type Config struct {
	// Name identifies the plan in events. Empty is allowed.
	Name string

	// Prompter decides what happens after an environment change. Nil
	// means an environment change aborts the plan.
	Prompter Prompter

	// Probe checks the environment before each attempt and, when
	// ProbeInterval is set, while an attempt runs. A non-nil error is an
	// environment change; one that is not an [*EnvironmentChangedError]
	// is wrapped in one. The probe runs on the goroutine that called
	// [Plan.Run], so it should return quickly. Nil means no probe.
	Probe func(ctx context.Context) error

	// ProbeInterval is the period of the probe while an attempt runs.
	// Zero means the probe runs only before attempts.
	ProbeInterval time.Duration

	// CancelGrace is how long an attempt may take to return after its
	// context is cancelled before it is abandoned. Zero means
	// [DefaultCancelGrace].
	CancelGrace time.Duration

	// AbandonWait bounds the wait for an abandoned attempt, one that is
	// not safe to overlap, before the next attempt or undo on its target.
	// When it passes, that attempt or undo fails with [ErrAttemptRunning].
	// Zero means [DefaultAbandonWait].
	AbandonWait time.Duration

	// UndoTimeout bounds each undo during rollback, the wait for an
	// abandoned attempt on its target included. Zero means
	// [DefaultUndoTimeout].
	UndoTimeout time.Duration

	// Ranker reorders each step's strategies by their recent success.
	// Nil means every step uses its own order.
	Ranker *Ranker

	// OnEvent receives every transition of a run; see [Event] for the
	// order. It is called synchronously on the goroutine that called
	// [Plan.Run], never while a lock is held. Nil means no events.
	OnEvent func(Event)
}

// Plan is a validated sequence of steps. It is immutable and safe for
// concurrent use: each call to [Plan.Run] keeps its state to itself, so
// concurrent runs are independent as long as their strategies are.
type Plan struct {
	cfg   Config
	steps []Step
}

// New validates cfg and steps and returns the plan they describe. The
// error names the first invalid field. New copies steps and their
// strategy slices, so later changes to them do not affect the plan.
func New(cfg Config, steps ...Step) (*Plan, error) {
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	p := &Plan{cfg: cfg, steps: make([]Step, len(steps))}
	for i, s := range steps {
		if err := validateStep(i, &s); err != nil {
			return nil, err
		}
		if s.Timeout == 0 {
			s.Timeout = DefaultStepTimeout
		}
		if s.Kind == "" {
			s.Kind = s.Name
		}
		s.Strategies = append([]Strategy(nil), s.Strategies...)
		p.steps[i] = s
	}
	return p, nil
}

func validateConfig(cfg *Config) error {
	switch {
	case cfg.ProbeInterval < 0:
		return fmt.Errorf("strategy: Config.ProbeInterval %v is negative", cfg.ProbeInterval)
	case cfg.CancelGrace < 0:
		return fmt.Errorf("strategy: Config.CancelGrace %v is negative", cfg.CancelGrace)
	case cfg.AbandonWait < 0:
		return fmt.Errorf("strategy: Config.AbandonWait %v is negative", cfg.AbandonWait)
	case cfg.UndoTimeout < 0:
		return fmt.Errorf("strategy: Config.UndoTimeout %v is negative", cfg.UndoTimeout)
	}
	if cfg.CancelGrace == 0 {
		cfg.CancelGrace = DefaultCancelGrace
	}
	if cfg.AbandonWait == 0 {
		cfg.AbandonWait = DefaultAbandonWait
	}
	if cfg.UndoTimeout == 0 {
		cfg.UndoTimeout = DefaultUndoTimeout
	}
	return nil
}

// strategyName returns st.Name(), or the value of a panic in it, as the
// method of a nil pointer that implements Strategy may raise.
func strategyName(st Strategy) (name string, panicked any) {
	defer func() { panicked = recover() }()
	return st.Name(), nil
}

func validateStep(i int, s *Step) error {
	field := fmt.Sprintf("strategy: Step[%d]", i)
	switch {
	case s.Name == "":
		return fmt.Errorf("%s.Name is empty", field)
	case len(s.Strategies) == 0:
		return fmt.Errorf("%s.Strategies is empty", field)
	case len(s.Strategies) > maxStrategies:
		return fmt.Errorf("%s.Strategies has %d strategies, more than the maximum of %d",
			field, len(s.Strategies), maxStrategies)
	case s.Timeout < 0:
		return fmt.Errorf("%s.Timeout %v is negative", field, s.Timeout)
	case s.OnFailure < PolicyDefault || s.OnFailure > PolicyAbort:
		return fmt.Errorf("%s.OnFailure %d is not a known policy", field, int(s.OnFailure))
	}
	seen := make(map[string]bool, len(s.Strategies))
	for j, st := range s.Strategies {
		if st == nil {
			return fmt.Errorf("%s.Strategies[%d] is nil", field, j)
		}
		if f, ok := st.(*funcStrategy); ok && f.execute == nil {
			return fmt.Errorf("%s.Strategies[%d] has a nil execute function", field, j)
		}
		name, panicked := strategyName(st)
		switch {
		case panicked != nil:
			return fmt.Errorf("%s.Strategies[%d].Name panicked: %v", field, j, panicked)
		case name == "":
			return fmt.Errorf("%s.Strategies[%d] has an empty name", field, j)
		}
		if seen[name] {
			return fmt.Errorf("%s.Strategies[%d] repeats the name %q", field, j, name)
		}
		seen[name] = true
	}
	return nil
}
