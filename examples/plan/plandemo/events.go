package plandemo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/strategy"
)

// narrate turns the plan's events into the account the user reads. It runs
// on the goroutine that called Plan.Run.
func (s *scenario) narrate(e strategy.Event) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(e)
	}
	n := s.cfg.Narrator
	switch e.Kind {
	case strategy.EventStepStart:
		n.Info(path, "step %d %s", e.Index+1, e.Step)
	case strategy.EventAttemptEnd:
		if e.Outcome == strategy.OutcomeSucceeded {
			n.Info(path, "%s: done by %s", e.Step, e.Strategy)
		} else if e.Outcome != strategy.OutcomeInterrupted && e.Outcome != strategy.OutcomeTimedOut {
			n.Failure(path, "%s: %s %s: %v", e.Step, e.Strategy, e.Outcome, e.Err)
		}
	case strategy.EventFallback:
		n.Recovery(path, "%s: falling back from %s to %s", e.Step, e.Strategy, e.Next)
	case strategy.EventTimeout:
		n.Failure(path, "%s: %s did not finish within the step timeout of %s",
			e.Step, e.Strategy, s.cfg.scaled(strategy.DefaultStepTimeout))
	case strategy.EventPause:
		n.Failure(path, "%s: paused because %s", e.Step, pauseReason(e.Err))
	case strategy.EventStepEnd:
		s.narrateStepEnd(e)
	case strategy.EventUndoEnd:
		n.Recovery(path, "rolled back %s: %s", e.Step, e.Outcome)
	case strategy.EventPlanEnd:
		var aborted *strategy.PlanError
		if errors.As(e.Err, &aborted) {
			n.Failure(path, "plan aborted at step %s", aborted.Step)
			s.tell(context.Background(), e.Err, fmt.Sprintf("I could not finish %q, so I undid the steps "+
				"I had taken. Nothing was changed.", e.Plan))
		}
	}
}

func (s *scenario) narrateStepEnd(e strategy.Event) {
	failed := e.Status == strategy.StepFailed || e.Status == strategy.StepTimedOut
	if !failed || !readOnly(e.Step) {
		return
	}
	s.cfg.Narrator.Recovery(path, "%s only reads, so the plan continues without it", e.Step)
	s.tell(context.Background(), e.Err, "Reading the totals took too long, so I continued without them.")
}

// pauseReason returns the reason of an environment change, in words the
// user understands.
func pauseReason(err error) string {
	var changed *strategy.EnvironmentChangedError
	if errors.As(err, &changed) {
		return changed.Reason
	}
	return err.Error()
}

func readOnly(step string) bool { return step == "read-totals" }

// summarize adds the plan's rows to the summary table, from the result
// rather than the events so that the table is the same on every run.
func (s *scenario) summarize() {
	n := s.cfg.Narrator
	for _, st := range s.res.Run.Steps {
		failed := failedStrategies(st)
		switch {
		case st.Status == strategy.StepSucceeded && interrupted(st):
			n.Outcome(s.row(fmt.Sprintf("the %s window closed during %s", window, st.Name),
				"paused; the user reopened it and the step resumed", "ERR-EnvironmentChanged"))
		case st.Status == strategy.StepSucceeded && len(failed) > 0:
			n.Outcome(narrate.Row{Path: path,
				Failure:  fmt.Sprintf("%s failed at %s", strings.Join(failed, ", "), st.Name),
				Recovery: "fell back to " + st.Winner,
				Told:     "nothing: the step succeeded"})
		case st.Status == strategy.StepTimedOut:
			n.Outcome(s.row(fmt.Sprintf("%s timed out", st.Name),
				"read-only step skipped; the plan continued", "ERR-StepTimeout"))
		case st.Status == strategy.StepFailed:
			n.Outcome(s.row(fmt.Sprintf("%s failed with %s", st.Name, strings.Join(failed, ", ")),
				"aborted; rolled back "+strings.Join(s.res.RolledBack, ", "), "ERR-PlanAborted"))
		}
	}
}

// row returns a summary row that reports the first notice with code, or
// "nothing" when no notice has it.
func (s *scenario) row(failure, recovery, code string) narrate.Row {
	r := narrate.Row{Path: path, Failure: failure, Recovery: recovery, Told: "nothing"}
	for i, n := range s.res.Notices {
		if n.Code == code {
			r.Codes, r.Told = []string{code}, s.res.Told[i]
			break
		}
	}
	return r
}

func failedStrategies(st strategy.StepResult) []string {
	var names []string
	for _, a := range st.Attempts {
		if a.Outcome == strategy.OutcomeFailed || a.Outcome == strategy.OutcomeVerifyFailed ||
			a.Outcome == strategy.OutcomeNotReady {
			names = append(names, a.Strategy)
		}
	}
	return names
}

func interrupted(st strategy.StepResult) bool {
	for _, a := range st.Attempts {
		if a.Outcome == strategy.OutcomeInterrupted {
			return true
		}
	}
	return false
}
