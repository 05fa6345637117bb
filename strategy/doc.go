// Package strategy executes plans on the user's computer. Each step is
// tried with a ranked list of strategies, such as vision, UI automation
// and screen coordinates, so the plan degrades to the next strategy
// instead of failing at the first one.
//
// Most callers build a [Plan] with [New] from a [Config] and a list of
// [Step] values and call [Plan.Run]. A [Strategy] needs only a name and
// an Execute method ([Func] adapts a function); it may also implement
// [Readier], [Verifier], [Undoer] and [Overlapper].
//
// # Steps
//
// A step runs its strategies in rank order and never retries one that
// failed in the same step. A failed verification counts as a failure. The
// step's timeout (30 s by default) covers all its attempts, paused time
// excluded, and fails the step when it passes even if the strategy ignores
// its context. Each attempt runs on its own goroutine, and one that has not
// returned within [Config.CancelGrace] after its context was cancelled is
// abandoned and counted in [Result.Abandoned]. A failed step aborts the plan or lets it
// continue, per [Step.OnFailure]; steps with side effects abort by
// default.
//
// # Abandoned attempts
//
// Go cannot stop a function that ignores its context, so the goroutine of
// an abandoned attempt or undo is the one kind that may outlive
// [Plan.Run]: it ends when the function returns. Until then no other
// attempt or undo of the same run starts on the same [Step.Target],
// unless the strategy declares itself safe to overlap. The plan waits up
// to [Config.AbandonWait] and then fails that attempt or undo with
// [ErrAttemptRunning]. [Result.Running] and [Result.Wait] let the caller
// account for the goroutines left.
//
// # Environment changes
//
// A strategy or [Config.Probe] reports that the environment changed,
// such as the target window closing, with an [*EnvironmentChangedError].
// The plan then pauses and asks its [Prompter] whether to resume, retry
// the step, skip it or abort. Cancelling the plan's context while it is
// paused ends the run with a [*PlanError] and a rollback, as soon as the
// Prompter returns, which it must do once its context is done.
//
// # Rollback
//
// When a plan aborts, the steps that acted (succeeded, or may have acted
// before a timeout, interruption or failed verification) are undone in
// reverse order, through [Step.Undo] or the strategies' [Undoer]. Undos
// run detached from the plan's cancellation, each under
// [Config.UndoTimeout], and [Result.Undos] lists every outcome. The
// [*PlanError] keeps the original error; undo failures never replace it.
//
// # Observing a run
//
// [Config.OnEvent] receives an [Event] for every transition, and
// [Config.Ranker] reorders strategies by their recent success.
//
// A [Plan] is immutable and safe for concurrent use. See the package
// examples for a three-strategy step and for a plan with rollback.
package strategy
