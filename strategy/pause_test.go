package strategy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/classify"
	"github.com/cowork-ai/resilience/strategy"
)

// editor is a window that a test closes and reopens, with a probe that
// reports it closed.
type editor struct{ closed atomic.Bool }

func (w *editor) probe(context.Context) error {
	if w.closed.Load() {
		return strategy.EnvironmentChanged("editor window closed")
	}
	return nil
}

func TestPauseDecisions(t *testing.T) {
	tests := []struct {
		decision    strategy.Decision
		wantErr     bool
		wantStatus  strategy.StepStatus
		wantWinner  string
		wantRetries int
		wantUICalls int32
		wantUndos   int
	}{
		{strategy.DecisionResume, false, strategy.StepSucceeded, "vision", 0, 1, 0},
		{strategy.DecisionRetry, false, strategy.StepSucceeded, "ui", 1, 2, 0},
		{strategy.DecisionSkip, false, strategy.StepSkipped, "", 0, 1, 0},
		{strategy.DecisionAbort, true, strategy.StepAborted, "", 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.decision.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				testPauseDecision(t, tt.decision, tt.wantErr, tt.wantStatus, tt.wantWinner,
					tt.wantRetries, tt.wantUICalls, tt.wantUndos)
			})
		})
	}
}

func testPauseDecision(t *testing.T, d strategy.Decision, wantErr bool,
	wantStatus strategy.StepStatus, wantWinner string, wantRetries int,
	wantUICalls int32, wantUndos int) {
	t.Helper()
	var win editor
	// ui fails on its first call and succeeds on later ones, so a retry
	// that runs it again is visible.
	ui := newCounted("ui", func(_ context.Context, call int) error {
		if call == 1 {
			return errors.New("accessibility tree unavailable")
		}
		return nil
	})
	// vision closes the window 4.5 s into its first call and keeps working
	// until cancelled; later calls succeed after 2 s.
	vision := newCounted("vision", func(ctx context.Context, call int) error {
		if call == 1 {
			time.Sleep(4500 * time.Millisecond)
			win.closed.Store(true)
			<-ctx.Done()
			return ctx.Err()
		}
		time.Sleep(2 * time.Second)
		return nil
	})
	prompts := 0
	prompter := strategy.PrompterFunc(func(ctx context.Context, p strategy.PauseInfo) (strategy.Decision, error) {
		prompts++
		if p.Step != "type text" || p.Strategy != "vision" || !errors.Is(p.Err, strategy.ErrEnvironmentChanged) {
			t.Errorf("PauseInfo = %+v, want step type text, strategy vision, environment change", p)
		}
		time.Sleep(time.Minute)
		win.closed.Store(false)
		return d, nil
	})
	var rec recorder
	saved := newCounted("save", func(context.Context, int) error { return nil })
	p := mustNew(t, strategy.Config{Probe: win.probe, ProbeInterval: time.Second,
		Prompter: prompter, OnEvent: rec.on},
		strategy.Step{Name: "open editor", Strategies: []strategy.Strategy{succeed("launch")},
			Undo: func(context.Context) error { return nil }},
		strategy.Step{Name: "type text", Strategies: []strategy.Strategy{ui, vision}},
		strategy.Step{Name: "save", Strategies: []strategy.Strategy{saved}},
	)

	res, err := p.Run(context.Background())
	if gotErr := err != nil; gotErr != wantErr {
		t.Fatalf("Run = %v, want error: %v", err, wantErr)
	}
	sr := res.Steps[1]
	if sr.Status != wantStatus || sr.Winner != wantWinner || sr.Retries != wantRetries {
		t.Errorf("step = %v won by %q after %d retries, want %v won by %q after %d",
			sr.Status, sr.Winner, sr.Retries, wantStatus, wantWinner, wantRetries)
	}
	if prompts != 1 || sr.Paused != time.Minute {
		t.Errorf("prompts = %d, paused %v, want 1 prompt and 1m paused", prompts, sr.Paused)
	}
	if interrupted := sr.Attempts[1]; interrupted.Outcome != strategy.OutcomeInterrupted ||
		interrupted.Elapsed != 5*time.Second {
		t.Errorf("Attempts[1] = %+v, want vision interrupted after 5s", interrupted)
	}
	if got := ui.calls.Load(); got != wantUICalls {
		t.Errorf("ui ran %d times, want %d", got, wantUICalls)
	}
	if got := len(res.Undos); got != wantUndos {
		t.Errorf("%d undos, want %d", got, wantUndos)
	}
	pauses, resumes := rec.of(strategy.EventPause), rec.of(strategy.EventResume)
	if len(pauses) != 1 || len(resumes) != 1 || resumes[0].Decision != d ||
		resumes[0].Elapsed != time.Minute {
		t.Errorf("pause events %+v, resume events %+v, want one each, resume with %v after 1m",
			pauses, resumes, d)
	}

	switch d {
	case strategy.DecisionResume:
		// The interrupted strategy runs again: the step took 5 s before the
		// pause and 2 s after it.
		if sr.Elapsed != 7*time.Second || len(sr.Attempts) != 3 {
			t.Errorf("step ran %v with %d attempts, want 7s and 3", sr.Elapsed, len(sr.Attempts))
		}
	case strategy.DecisionSkip:
		if saved.calls.Load() != 1 {
			t.Error("the step after a skipped step did not run")
		}
	case strategy.DecisionAbort:
		if !errors.Is(err, strategy.ErrPlanAborted) || !errors.Is(err, strategy.ErrEnvironmentChanged) {
			t.Errorf("Run = %v, want ErrPlanAborted wrapping ErrEnvironmentChanged", err)
		}
		if saved.calls.Load() != 0 {
			t.Error("the step after an aborted step ran")
		}
	}
}

func TestPausedTimeExcludedFromTimeout(t *testing.T) {
	tests := []struct {
		name       string
		decision   strategy.Decision
		second     time.Duration // work needed by the second call
		wantStatus strategy.StepStatus
		wantRun    time.Duration
	}{
		{"resume fits remaining time", strategy.DecisionResume, 8 * time.Second,
			strategy.StepSucceeded, 28 * time.Second},
		{"resume exceeds remaining time", strategy.DecisionResume, 15 * time.Second,
			strategy.StepTimedOut, 30 * time.Second},
		{"retry restarts the timeout", strategy.DecisionRetry, 25 * time.Second,
			strategy.StepSucceeded, 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				vision := newCounted("vision", func(ctx context.Context, call int) error {
					if call == 1 {
						time.Sleep(20 * time.Second)
						return strategy.EnvironmentChanged("window closed")
					}
					select {
					case <-time.After(tt.second):
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				calls := 0
				p := mustNew(t, strategy.Config{Prompter: answer(time.Minute, &calls, tt.decision)},
					strategy.Step{Name: "type", ReadOnly: true, Strategies: []strategy.Strategy{vision}})
				start := time.Now()
				res, _ := p.Run(context.Background())
				sr := res.Steps[0]
				if sr.Status != tt.wantStatus || sr.Elapsed != tt.wantRun || sr.Paused != time.Minute {
					t.Errorf("step = %v, ran %v, paused %v, want %v, %v, 1m",
						sr.Status, sr.Elapsed, sr.Paused, tt.wantStatus, tt.wantRun)
				}
				if got, want := time.Since(start), tt.wantRun+time.Minute; got != want {
					t.Errorf("Run took %v, want %v", got, want)
				}
				if got := sr.Attempts[0].Outcome; got != strategy.OutcomeInterrupted {
					t.Errorf("Attempts[0].Outcome = %v, want interrupted", got)
				}
			})
		})
	}
}

func TestCancelWhilePaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		undone := 0
		calls := 0
		p := mustNew(t, strategy.Config{Prompter: answer(time.Hour, &calls, strategy.DecisionResume)},
			strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
				Undo: func(context.Context) error { undone++; return nil }},
			strategy.Step{Name: "type", Strategies: []strategy.Strategy{
				fail("vision", strategy.EnvironmentChanged("window closed"))}},
		)
		time.AfterFunc(5*time.Second, cancel)
		start := time.Now()
		res, err := p.Run(ctx)
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("Run took %v, want 5s", got)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, strategy.ErrEnvironmentChanged) {
			t.Errorf("Run = %v, want context.Canceled and ErrEnvironmentChanged", err)
		}
		if calls != 0 || res.Steps[1].Status != strategy.StepAborted {
			t.Errorf("prompter answered %d times, status %v, want 0 and aborted",
				calls, res.Steps[1].Status)
		}
		if undone != 1 {
			t.Errorf("undo ran %d times, want 1", undone)
		}
	})
}

func TestEnvironmentChangeWithoutPrompter(t *testing.T) {
	var win editor
	win.closed.Store(true)
	s := newCounted("vision", func(context.Context, int) error { return nil })
	p := mustNew(t, strategy.Config{Probe: win.probe},
		strategy.Step{Name: "type", ReadOnly: true, Strategies: []strategy.Strategy{s}})
	res, err := p.Run(context.Background())
	var ec *strategy.EnvironmentChangedError
	if !errors.As(err, &ec) || ec.Code() != "ERR-EnvironmentChanged" || ec.Reason != "editor window closed" {
		t.Errorf("Run = %v, want an *EnvironmentChangedError for the closed window", err)
	}
	if s.calls.Load() != 0 || res.Steps[0].Status != strategy.StepAborted {
		t.Errorf("strategy ran %d times, status %v, want 0 and aborted",
			s.calls.Load(), res.Steps[0].Status)
	}
}

func TestProbeErrorIsWrapped(t *testing.T) {
	errGone := errors.New("process exited")
	var got strategy.PauseInfo
	p := mustNew(t, strategy.Config{
		Probe: func(context.Context) error { return errGone },
		Prompter: strategy.PrompterFunc(func(_ context.Context, pi strategy.PauseInfo) (strategy.Decision, error) {
			got = pi
			return strategy.DecisionSkip, nil
		}),
	}, strategy.Step{Name: "type", Strategies: []strategy.Strategy{succeed("vision")}})
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !errors.Is(got.Err, strategy.ErrEnvironmentChanged) || !errors.Is(got.Err, errGone) {
		t.Errorf("PauseInfo.Err = %v, want an environment change wrapping the probe's error", got.Err)
	}
}

func TestPrompterErrorAborts(t *testing.T) {
	errDialog := errors.New("dialog failed to open")
	p := mustNew(t, strategy.Config{
		Prompter: strategy.PrompterFunc(func(context.Context, strategy.PauseInfo) (strategy.Decision, error) {
			return strategy.DecisionResume, errDialog
		}),
	}, strategy.Step{Name: "type", Strategies: []strategy.Strategy{
		fail("vision", strategy.EnvironmentChanged("window closed"))}})
	_, err := p.Run(context.Background())
	if !errors.Is(err, errDialog) || !errors.Is(err, strategy.ErrEnvironmentChanged) {
		t.Errorf("Run = %v, want the prompter's error and the environment change", err)
	}
	if !strings.Contains(err.Error(), `step "type"`) {
		t.Errorf("Run = %q, want the step named", err)
	}
}

func TestReadyEnvironmentChangePauses(t *testing.T) {
	var win editor
	win.closed.Store(true)
	vision := newCounted("vision", func(context.Context, int) error { return nil })
	checked := readyFunc{vision, win.probe}
	var got []strategy.PauseInfo
	prompter := strategy.PrompterFunc(func(_ context.Context,
		pi strategy.PauseInfo) (strategy.Decision, error) {
		got = append(got, pi)
		win.closed.Store(false)
		return strategy.DecisionResume, nil
	})
	p := mustNew(t, strategy.Config{Prompter: prompter}, strategy.Step{
		Name: "type", Strategies: []strategy.Strategy{checked, succeed("ui")},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != 1 || got[0].Strategy != "vision" ||
		!errors.Is(got[0].Err, strategy.ErrEnvironmentChanged) {
		t.Fatalf("prompts = %+v, want one for vision with the environment change", got)
	}
	if sr := res.Steps[0]; sr.Winner != "vision" || vision.calls.Load() != 1 {
		t.Errorf("Winner = %q, vision ran %d times, want vision once after the resume",
			sr.Winner, vision.calls.Load())
	}
}

func TestNoPromptOnceContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	closing := readyFunc{succeed("vision"), func(context.Context) error {
		cancel()
		return strategy.EnvironmentChanged("window closed")
	}}
	prompts := 0
	prompter := strategy.PrompterFunc(func(context.Context,
		strategy.PauseInfo) (strategy.Decision, error) {
		prompts++
		return strategy.DecisionResume, nil
	})
	p := mustNew(t, strategy.Config{Prompter: prompter}, strategy.Step{
		Name: "type", Strategies: []strategy.Strategy{closing},
	})
	_, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, strategy.ErrEnvironmentChanged) {
		t.Errorf("Run = %v, want context.Canceled and the environment change", err)
	}
	if prompts != 0 {
		t.Errorf("prompter called %d times with a done context, want 0", prompts)
	}
}

func TestUnknownDecisionAborts(t *testing.T) {
	for _, d := range []strategy.Decision{-1, strategy.DecisionSkip + 1} {
		undone := 0
		p := mustNew(t, strategy.Config{
			Prompter: strategy.PrompterFunc(func(context.Context,
				strategy.PauseInfo) (strategy.Decision, error) {
				return d, nil
			}),
		},
			strategy.Step{Name: "open", Strategies: []strategy.Strategy{succeed("launch")},
				Undo: func(context.Context) error { undone++; return nil }},
			strategy.Step{Name: "type", ReadOnly: true, Strategies: []strategy.Strategy{
				fail("vision", strategy.EnvironmentChanged("window closed"))}},
		)
		res, err := p.Run(context.Background())
		if !errors.Is(err, strategy.ErrPlanAborted) ||
			!strings.Contains(err.Error(), "unknown decision") {
			t.Errorf("decision %v: Run = %v, want an abort naming the unknown decision", d, err)
		}
		if got := res.Steps[1].Status; got != strategy.StepAborted {
			t.Errorf("decision %v: Status = %v, want aborted", d, got)
		}
		if undone != 1 {
			t.Errorf("decision %v: undo ran %d times, want 1", d, undone)
		}
	}
}

func TestEnvironmentChangedNotRetryable(t *testing.T) {
	err := fmt.Errorf("step: %w", strategy.EnvironmentChanged("the Reports window closed"))
	if classify.Retryable(err) {
		t.Errorf("Retryable(%v) = true, want false until the user restores the window", err)
	}
}
