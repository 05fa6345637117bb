package strategy_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/strategy"
)

func TestRollbackAfterAbort(t *testing.T) {
	errSave := errors.New("disk full")
	errUndo := errors.New("cannot delete the draft")
	var undone []string
	undoStep := func(name string) func(context.Context) error {
		return func(context.Context) error { undone = append(undone, name); return nil }
	}
	draft := undoing{succeed("menu"), func(context.Context) error {
		undone = append(undone, "draft")
		return errUndo
	}}
	var rec recorder
	p := mustNew(t, strategy.Config{OnEvent: rec.on},
		strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
			Undo: undoStep("open")},
		strategy.Step{Name: "draft", Strategies: []strategy.Strategy{draft}},
		strategy.Step{Name: "read", ReadOnly: true, Strategies: []strategy.Strategy{succeed("ocr")}},
		strategy.Step{Name: "failed lookup", ReadOnly: true, OnFailure: strategy.PolicyContinue,
			Strategies: []strategy.Strategy{fail("ocr", errors.New("no text"))},
			Undo:       undoStep("failed lookup")},
		strategy.Step{Name: "save", Strategies: []strategy.Strategy{fail("shortcut", errSave)},
			Undo: undoStep("save")},
		strategy.Step{Name: "close", Strategies: []strategy.Strategy{succeed("button")},
			Undo: undoStep("close")},
	)

	res, err := p.Run(context.Background())
	if !errors.Is(err, errSave) || !errors.Is(err, strategy.ErrStepFailed) {
		t.Errorf("Run = %v, want the original step error", err)
	}
	if errors.Is(err, errUndo) {
		t.Errorf("Run = %v, matches the undo's error, want only the original error", err)
	}
	var pe *strategy.PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("Run = %v, want a *PlanError", err)
	}
	if pe.Code() != "ERR-PlanAborted" || pe.Step != "save" || pe.Index != 4 || pe.UndoFailed != 1 {
		t.Errorf("PlanError = %+v, want ERR-PlanAborted at save (4) with 1 failed undo", pe)
	}
	if !strings.Contains(err.Error(), "1 of 2 undos failed") || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Error() = %q, want the original error and the undo failure count", err)
	}
	// The failed save and lookup never acted and the read-only step has no
	// undo, so only the draft and the open step are undone, latest first.
	if want := []string{"draft", "open"}; !slices.Equal(undone, want) {
		t.Errorf("undone = %v, want %v", undone, want)
	}
	want := []strategy.UndoResult{
		{Step: "draft", Index: 1, Strategy: "menu", Outcome: strategy.OutcomeFailed, Err: errUndo},
		{Step: "open", Index: 0, Outcome: strategy.OutcomeSucceeded},
	}
	for i := range res.Undos {
		res.Undos[i].Elapsed = 0
	}
	if !slices.Equal(res.Undos, want) {
		t.Errorf("Undos = %+v\nwant %+v", res.Undos, want)
	}
	wantEvents := []string{"undo_start:menu", "undo_end:menu", "undo_start", "undo_end", "plan_end"}
	if got := rec.kinds(); !slices.Equal(got[len(got)-5:], wantEvents) {
		t.Errorf("last events = %v, want %v", got[len(got)-5:], wantEvents)
	}
}

type ctxKey struct{}

func TestRollbackAfterParentCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace-1"))
		defer cancel()
		errUndo := errors.New("window already gone")
		type seen struct {
			err      error
			value    any
			deadline time.Duration
		}
		var undos []seen
		record := func(err error) func(context.Context) error {
			return func(ctx context.Context) error {
				d, _ := ctx.Deadline()
				undos = append(undos, seen{ctx.Err(), ctx.Value(ctxKey{}), time.Until(d)})
				return err
			}
		}
		p := mustNew(t, strategy.Config{UndoTimeout: 7 * time.Second},
			strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
				Undo: record(nil)},
			strategy.Step{Name: "resize", Strategies: []strategy.Strategy{succeed("drag")},
				Undo: record(errUndo)},
			strategy.Step{Name: "type", Strategies: []strategy.Strategy{sleepy("vision", time.Hour)},
				Undo: record(nil)},
		)
		time.AfterFunc(3*time.Second, cancel)
		res, err := p.Run(ctx)

		if !errors.Is(err, context.Canceled) || !errors.Is(err, strategy.ErrPlanAborted) {
			t.Errorf("Run = %v, want ErrPlanAborted wrapping context.Canceled", err)
		}
		if got := res.Steps[2]; got.Status != strategy.StepAborted ||
			got.Attempts[0].Outcome != strategy.OutcomeCanceled {
			t.Errorf("type step = %+v, want aborted with a canceled attempt", got)
		}
		// The cancelled step may have typed part of its text, so it is
		// undone too, before the two completed steps.
		if len(undos) != 3 {
			t.Fatalf("%d undos ran, want 3", len(undos))
		}
		for i, u := range undos {
			if u.err != nil || u.value != "trace-1" || u.deadline != 7*time.Second {
				t.Errorf("undo %d saw err %v, value %v, deadline in %v; want nil, trace-1, 7s",
					i, u.err, u.value, u.deadline)
			}
		}
		gotSteps := []string{res.Undos[0].Step, res.Undos[1].Step, res.Undos[2].Step}
		if want := []string{"type", "resize", "open"}; !slices.Equal(gotSteps, want) {
			t.Errorf("undo order = %v, want %v", gotSteps, want)
		}
		if res.Undos[1].Outcome != strategy.OutcomeFailed || res.Undos[1].Err != errUndo {
			t.Errorf("Undos[1] = %+v, want the resize undo failed", res.Undos[1])
		}
	})
}

func TestRollbackTimedOutStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var undoneAt time.Duration
		start := time.Now()
		p := mustNew(t, strategy.Config{AbandonWait: 30 * time.Second, UndoTimeout: time.Minute},
			strategy.Step{Name: "type", Target: "editor",
				Strategies: []strategy.Strategy{stubborn("vision", 40*time.Second)},
				Undo:       func(context.Context) error { undoneAt = time.Since(start); return nil }},
		)
		res, err := p.Run(context.Background())
		if !errors.Is(err, strategy.ErrStepTimeout) {
			t.Errorf("Run = %v, want ErrStepTimeout", err)
		}
		// The abandoned attempt may still be typing, so the undo waits
		// until it returns at 40 s.
		if undoneAt != 40*time.Second {
			t.Errorf("undo ran at %v, want 40s", undoneAt)
		}
		if len(res.Undos) != 1 || res.Undos[0].Outcome != strategy.OutcomeSucceeded {
			t.Errorf("Undos = %+v, want one that succeeded", res.Undos)
		}
	})
}

func TestUndoIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		p := mustNew(t, strategy.Config{UndoTimeout: 2 * time.Second, OnEvent: rec.on},
			strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
				Undo: func(context.Context) error { time.Sleep(time.Hour); return nil }},
			strategy.Step{Name: "save", Strategies: []strategy.Strategy{fail("shortcut", errors.New("disk full"))}},
		)
		start := time.Now()
		res, err := p.Run(context.Background())
		if got, want := time.Since(start), 2*time.Second+strategy.DefaultCancelGrace; got != want {
			t.Errorf("Run took %v, want %v", got, want)
		}
		u := res.Undos[0]
		if u.Outcome != strategy.OutcomeTimedOut || !u.Abandoned || !errors.Is(u.Err, strategy.ErrUndoTimeout) {
			t.Errorf("Undos[0] = %+v, want timed out, abandoned, ErrUndoTimeout", u)
		}
		if res.Abandoned != 1 || res.Running() != 1 {
			t.Errorf("Abandoned = %d, Running = %d, want 1 and 1", res.Abandoned, res.Running())
		}
		if !errors.Is(err, strategy.ErrStepFailed) {
			t.Errorf("Run = %v, want the step failure kept", err)
		}
		abandons := rec.of(strategy.EventAbandon)
		if len(abandons) != 1 {
			t.Fatalf("%d abandon events, want 1", len(abandons))
		}
		if got := abandons[0].Elapsed; got != 2*time.Second {
			t.Errorf("abandon event Elapsed = %v, want the undo's 2s", got)
		}
		if err := res.Wait(context.Background()); err != nil {
			t.Errorf("Wait: %v", err)
		}
	})
}

func TestAbandonedAttemptBlocksTarget(t *testing.T) {
	tests := []struct {
		name        string
		first       strategy.Strategy
		target      string
		wantStartAt time.Duration
		wantStatus  strategy.StepStatus
	}{
		{"same target waits", stubborn("vision", 40*time.Second), "editor",
			40 * time.Second, strategy.StepSucceeded},
		{"empty target waits", stubborn("vision", 40*time.Second), "",
			40 * time.Second, strategy.StepSucceeded},
		{"other target runs", stubborn("vision", 40*time.Second), "browser",
			30*time.Second + strategy.DefaultCancelGrace, strategy.StepSucceeded},
		{"safe to overlap runs", overlapping{stubborn("vision", 40*time.Second)}, "editor",
			30*time.Second + strategy.DefaultCancelGrace, strategy.StepSucceeded},
		{"wait bound passes", stubborn("vision", time.Hour), "editor", 0, strategy.StepFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var startedAt time.Duration
				start := time.Now()
				next := strategy.Func("ui", func(context.Context) error {
					startedAt = time.Since(start)
					return nil
				})
				p := mustNew(t, strategy.Config{AbandonWait: 15 * time.Second},
					strategy.Step{Name: "type", Target: "editor", OnFailure: strategy.PolicyContinue,
						Strategies: []strategy.Strategy{tt.first}},
					strategy.Step{Name: "save", Target: tt.target, OnFailure: strategy.PolicyContinue,
						Strategies: []strategy.Strategy{next}},
				)
				res, _ := p.Run(context.Background())
				sr := res.Steps[1]
				if sr.Status != tt.wantStatus || startedAt != tt.wantStartAt {
					t.Errorf("next step %v, started at %v, want %v at %v",
						sr.Status, startedAt, tt.wantStatus, tt.wantStartAt)
				}
				if tt.wantStatus == strategy.StepFailed {
					if !errors.Is(sr.Err, strategy.ErrAttemptRunning) || len(sr.Attempts) != 0 {
						t.Errorf("step Err = %v with %d attempts, want ErrAttemptRunning and none",
							sr.Err, len(sr.Attempts))
					}
				}
				if err := res.Wait(context.Background()); err != nil {
					t.Errorf("Wait: %v", err)
				}
			})
		})
	}
}

// misplaced is a strategy whose text always lands in the wrong field.
type misplaced struct {
	name   string
	undone *[]string
}

func (m *misplaced) Name() string                  { return m.name }
func (m *misplaced) Execute(context.Context) error { return nil }
func (m *misplaced) Verify(context.Context) error {
	return errors.New("text landed in the search box")
}
func (m *misplaced) Undo(context.Context) error {
	*m.undone = append(*m.undone, m.name)
	return nil
}

func TestRollbackUndoesEachStrategyThatActed(t *testing.T) {
	var undone []string
	undoer := func(s strategy.Strategy) strategy.Strategy {
		return undoing{s, func(context.Context) error {
			undone = append(undone, s.Name())
			return nil
		}}
	}
	// vision typed into the wrong field, so its verification failed but
	// its text must still be removed. ocr never acted.
	vision := &misplaced{name: "vision", undone: &undone}
	p := mustNew(t, strategy.Config{},
		strategy.Step{Name: "type", Strategies: []strategy.Strategy{
			undoer(fail("ocr", errors.New("no field"))), vision, undoer(succeed("ui"))}},
		strategy.Step{Name: "send", Strategies: []strategy.Strategy{fail("shortcut", errors.New("offline"))}},
	)
	res, err := p.Run(context.Background())
	if !errors.Is(err, strategy.ErrPlanAborted) {
		t.Fatalf("Run = %v, want ErrPlanAborted", err)
	}
	if want := []string{"ui", "vision"}; !slices.Equal(undone, want) {
		t.Errorf("undone = %v, want %v", undone, want)
	}
	if len(res.Undos) != 2 || res.Undos[0].Strategy != "ui" || res.Undos[1].Strategy != "vision" {
		t.Errorf("Undos = %+v, want ui then vision", res.Undos)
	}
}

func TestUndoPanicIsFailure(t *testing.T) {
	p := mustNew(t, strategy.Config{},
		strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
			Undo: func(context.Context) error { panic("window handle freed") }},
		strategy.Step{Name: "send", Strategies: []strategy.Strategy{fail("shortcut", errors.New("offline"))}},
	)
	res, err := p.Run(context.Background())
	var pe *strategy.PanicError
	if len(res.Undos) != 1 || res.Undos[0].Outcome != strategy.OutcomeFailed || !errors.As(res.Undos[0].Err, &pe) {
		t.Errorf("Undos = %+v, want one failed with a *PanicError", res.Undos)
	}
	if !errors.Is(err, strategy.ErrStepFailed) {
		t.Errorf("Run = %v, want the step failure kept", err)
	}
}

func TestUndoGoexitIsFailure(t *testing.T) {
	p := mustNew(t, strategy.Config{},
		strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
			Undo: func(context.Context) error { runtime.Goexit(); return nil }},
		strategy.Step{Name: "send",
			Strategies: []strategy.Strategy{fail("shortcut", errors.New("offline"))}},
	)
	res, _ := p.Run(context.Background())
	if len(res.Undos) != 1 || res.Undos[0].Outcome != strategy.OutcomeFailed ||
		res.Undos[0].Err == nil {
		t.Errorf("Undos = %+v, want one failed with an error", res.Undos)
	}
}

func TestRollbackInterruptedStep(t *testing.T) {
	// vision typed part of the text before it found the window closed,
	// so aborting at the pause must undo the step.
	undone := 0
	partial := strategy.Func("vision", func(context.Context) error {
		return strategy.EnvironmentChanged("editor window closed")
	})
	abort := strategy.PrompterFunc(func(context.Context,
		strategy.PauseInfo) (strategy.Decision, error) {
		return strategy.DecisionAbort, nil
	})
	p := mustNew(t, strategy.Config{Prompter: abort},
		strategy.Step{Name: "type", Strategies: []strategy.Strategy{partial},
			Undo: func(context.Context) error { undone++; return nil }},
	)
	res, err := p.Run(context.Background())
	if !errors.Is(err, strategy.ErrEnvironmentChanged) {
		t.Errorf("Run = %v, want ErrEnvironmentChanged", err)
	}
	if a := res.Steps[0].Attempts[0]; a.Outcome != strategy.OutcomeInterrupted || !a.Acted {
		t.Errorf("Attempts[0] = %+v, want interrupted, acted", a)
	}
	if undone != 1 || len(res.Undos) != 1 {
		t.Errorf("undo ran %d times with %d results, want 1 and 1", undone, len(res.Undos))
	}
}
