package plandemo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/examples/plan/plandemo"
	"github.com/cowork-ai/resilience/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func codes(res *plandemo.Result) []string {
	var out []string
	for _, n := range res.Notices {
		out = append(out, n.Code)
	}
	return out
}

// TestRunRealTimings runs the scenario with its real 30 s step timeout in
// a synctest bubble, where the waits take no wall-clock time.
func TestRunRealTimings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res, err := plandemo.Run(t.Context(), plandemo.Config{})
		if err != nil {
			t.Fatal(err)
		}
		steps := res.Run.Steps
		if len(steps) != 4 {
			t.Fatalf("len(Steps) = %d, want 4", len(steps))
		}

		open := steps[0]
		if open.Status != strategy.StepSucceeded || open.Winner != "ui-automation" {
			t.Errorf("open-report = %s by %q, want succeeded by ui-automation",
				open.Status, open.Winner)
		}
		if len(open.Attempts) != 2 || open.Attempts[0].Outcome != strategy.OutcomeFailed {
			t.Errorf("open-report attempts = %+v, want vision failed, then ui-automation",
				open.Attempts)
		}

		if steps[1].Status != strategy.StepTimedOut {
			t.Errorf("read-totals = %s, want timed_out", steps[1].Status)
		}
		if steps[1].Elapsed < strategy.DefaultStepTimeout {
			t.Errorf("read-totals elapsed %v, want at least %v",
				steps[1].Elapsed, strategy.DefaultStepTimeout)
		}

		typing := steps[2]
		if typing.Status != strategy.StepSucceeded || typing.Paused < 2*time.Second {
			t.Errorf("type-summary = %s paused %v, want succeeded after a pause",
				typing.Status, typing.Paused)
		}

		if steps[3].Status != strategy.StepFailed || len(steps[3].Attempts) != 3 {
			t.Errorf("export-pdf = %s with %d attempts, want failed with 3",
				steps[3].Status, len(steps[3].Attempts))
		}
		if !errors.Is(res.Err, strategy.ErrPlanAborted) {
			t.Errorf("Err = %v, want ErrPlanAborted", res.Err)
		}

		wantUndone := []string{"export-pdf", "type-summary", "open-report"}
		if !slices.Equal(res.RolledBack, wantUndone) {
			t.Errorf("RolledBack = %v, want %v", res.RolledBack, wantUndone)
		}
		for _, u := range res.Run.Undos {
			if u.Outcome != strategy.OutcomeSucceeded {
				t.Errorf("undo of %s = %s, want succeeded", u.Step, u.Outcome)
			}
		}
		if res.WindowOpen || res.Summary != "" || res.Exported {
			t.Errorf("desktop after rollback: window open %v, summary %q, exported %v; "+
				"want closed, empty, not exported", res.WindowOpen, res.Summary, res.Exported)
		}

		wantCodes := []string{"ERR-StepTimeout", "ERR-EnvironmentChanged", "ERR-PlanAborted"}
		if got := codes(res); !slices.Equal(got, wantCodes) {
			t.Errorf("notice codes = %v, want %v", got, wantCodes)
		}
		wantTold := []string{"took too long", "window closed", "undid the steps"}
		for i, want := range wantTold {
			if i >= len(res.Told) || !strings.Contains(res.Told[i], want) {
				t.Errorf("Told = %q, want message %d to mention %q", res.Told, i, want)
			}
		}
	})
}

// TestRunScaled checks that Scale shortens every wait by its factor. It
// runs in a synctest bubble, so the scaled waits are exact and a loaded
// machine cannot make a short step timeout expire early or late.
func TestRunScaled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const scale = 0.02
		res, err := plandemo.Run(t.Context(), plandemo.Config{Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		read := res.Run.Steps[1]
		if read.Status != strategy.StepTimedOut {
			t.Errorf("read-totals = %s, want timed_out", read.Status)
		}
		want := time.Duration(scale * float64(strategy.DefaultStepTimeout))
		if read.Elapsed != want {
			t.Errorf("read-totals elapsed %v, want the scaled step timeout %v",
				read.Elapsed, want)
		}
		typing := res.Run.Steps[2]
		if want := time.Duration(scale * float64(2*time.Second)); typing.Paused != want {
			t.Errorf("type-summary paused %v, want the scaled 2 s the user takes, %v",
				typing.Paused, want)
		}
		if len(res.RolledBack) != 3 {
			t.Errorf("RolledBack = %v, want 3 steps", res.RolledBack)
		}
	})
}

// errExpired is a permission check's error, with a code as package
// session gives it.
type errExpired struct{}

func (errExpired) Error() string { return "permission expired" }
func (errExpired) Code() string  { return "ERR-SessionExpired" }

func TestRunRegrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		granted := true
		var regrants int
		cfg := plandemo.Config{
			// Permission lapses once, just before the third step.
			Authorize: func(context.Context) error {
				if !granted {
					return errExpired{}
				}
				return nil
			},
			Regrant: func(context.Context, error) error {
				regrants++
				granted = true
				return nil
			},
		}
		calls := 0
		authorize := cfg.Authorize
		cfg.Authorize = func(ctx context.Context) error {
			calls++
			if calls == 4 {
				granted = false
			}
			return authorize(ctx)
		}
		res, err := plandemo.Run(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if regrants != 1 {
			t.Errorf("regrants = %d, want 1", regrants)
		}
		if got := codes(res); len(got) != 4 || got[1] != "ERR-SessionExpired" {
			t.Errorf("notice codes = %v, want the expiry reported second", got)
		}
		if !strings.Contains(res.Told[1], "Grant it again") {
			t.Errorf("Told[1] = %q, want a request to grant permission again", res.Told[1])
		}
		if len(res.RolledBack) != 3 {
			t.Errorf("RolledBack = %v, want the same rollback as without expiry", res.RolledBack)
		}
	})
}

func TestRunDeniedAborts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res, err := plandemo.Run(t.Context(), plandemo.Config{
			Authorize: func(context.Context) error { return errors.New("not granted") },
		})
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(res.Err, strategy.ErrPlanAborted) || !errors.Is(res.Err, plandemo.ErrNotAuthorized) {
			t.Errorf("Err = %v, want an abort for missing permission", res.Err)
		}
		if res.Run.Steps[0].Attempts != nil || res.WindowOpen {
			t.Errorf("first step ran %d attempts, window open %v; want nothing done",
				len(res.Run.Steps[0].Attempts), res.WindowOpen)
		}
	})
}
