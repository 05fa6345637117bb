package strategy

import "context"

// Strategy is one way to carry out a step, such as locating a button by
// vision or through the platform's UI automation API.
//
// Execute and Verify are called from a goroutine that [Plan.Run] starts
// for each attempt. Within one run, an attempt starts after the previous
// one returned or was abandoned, so an Execute may still be running while
// a later attempt on another target, or one safe to overlap, starts.
// Concurrent runs of a plan call the same strategies concurrently.
type Strategy interface {
	// Name identifies the strategy within its step. It appears in results
	// and events, and it keys the statistics of a [Ranker].
	Name() string

	// Execute performs the step. It should return soon after ctx is done;
	// one that does not is abandoned when the step times out and is
	// reported in [Result.Abandoned].
	Execute(ctx context.Context) error
}

// Readier is implemented by a strategy that can tell before acting whether
// it can run in the current environment.
type Readier interface {
	// Ready returns nil when the strategy can run now, or the reason it
	// cannot. A strategy that is not ready is recorded as
	// [OutcomeNotReady] and is not executed. A panic in Ready counts as
	// not ready, and an [*EnvironmentChangedError] pauses the plan as it
	// does from Execute. Ready runs on the goroutine that called
	// [Plan.Run], so it should return quickly. Its time counts against
	// the step's timeout, and Execute does not start once it has passed.
	Ready(ctx context.Context) error
}

// Verifier is implemented by a strategy that can check its own outcome,
// for example that the typed text really landed in the field.
type Verifier interface {
	// Verify returns nil when the outcome of a successful Execute is what
	// the step required. It runs under the same context and deadline as
	// Execute, and a failed verification counts as a failed attempt.
	Verify(ctx context.Context) error
}

// Undoer is implemented by a strategy that can reverse its own effect. A
// step's [Step.Undo], when set, takes precedence over it.
type Undoer interface {
	// Undo reverses the effect of an earlier Execute. It runs during
	// rollback under a context detached from the plan's cancellation.
	Undo(ctx context.Context) error
}

// Overlapper is implemented by a strategy that can tell whether other work
// may act on its target while it is still running after being abandoned.
// Strategies that do not implement it are treated as unsafe to overlap.
type Overlapper interface {
	// SafeToOverlap reports whether the plan may start other attempts or
	// undos on the same target while this strategy is still running.
	SafeToOverlap() bool
}

// Func returns a Strategy named name whose Execute calls execute. It
// implements none of the optional interfaces.
func Func(name string, execute func(ctx context.Context) error) Strategy {
	return &funcStrategy{name: name, execute: execute}
}

type funcStrategy struct {
	name    string
	execute func(ctx context.Context) error
}

func (f *funcStrategy) Name() string                      { return f.name }
func (f *funcStrategy) Execute(ctx context.Context) error { return f.execute(ctx) }
