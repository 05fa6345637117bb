// Package plandemo is the scenario of examples/plan: a four-step plan on a
// fake desktop, run by package strategy. The first strategy of a step
// fails, and a read-only step times out. The target window closes during
// typing, so the plan pauses until the user reopens it and resumes. A last
// step fails with every strategy, so the plan aborts and rolls back the
// steps that acted.
//
// [Run] wires it; the examples/plan program prints its account, and
// examples/assistant runs it behind a permission grant.
package plandemo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/report"
	"github.com/cowork-ai/resilience/strategy"
)

// path names this scenario in the narration.
const path = "plan"

// The names of the window, field and file the plan acts on.
const (
	window     = "Reports"
	field      = "summary"
	exportFile = "report.pdf"
	summary    = "Revenue up 4 percent on last week"
)

// userThinkTime is how long the user takes to answer a prompt.
const userThinkTime = 2 * time.Second

// Config configures a run. The zero value runs with the real timings and
// without narration.
type Config struct {
	// Scale multiplies every timing of the scenario: the 30 s step
	// timeout, the 10 s undo timeout, the typing speed and the user's
	// time to answer. Zero means 1, the real timings.
	Scale float64

	// Narrator receives the account of the run. Nil means silent.
	Narrator *narrate.Narrator

	// Logger receives one record per failure the user is told about. Nil
	// means silent.
	Logger *slog.Logger

	// Reporter turns failures into notices and logs them through Logger.
	// Nil means a zero report.Reporter.
	Reporter *report.Reporter

	// Authorize, when set, is checked before each attempt. An error pauses
	// the plan as an environment change, and the user is asked to grant
	// permission again through Regrant.
	Authorize func(ctx context.Context) error

	// Regrant asks the user to grant permission again after Authorize
	// failed. Nil error resumes the plan; an error aborts it. Nil means
	// the plan aborts when Authorize fails.
	Regrant func(ctx context.Context, reason error) error

	// OnEvent, when set, also receives the plan's events, for example to
	// feed metrics. It runs on the goroutine that called Run.
	OnEvent func(strategy.Event)
}

// ErrNotAuthorized marks the environment change raised when
// Config.Authorize fails.
var ErrNotAuthorized = errors.New("plandemo: not authorized")

// Result is the outcome of a run.
type Result struct {
	// Run is the plan's own account: every step, attempt and undo.
	Run *strategy.Result

	// Err is the error the plan ended with: nil when it reached its end,
	// else a *strategy.PlanError.
	Err error

	// Notices are the reports of the failures the user was told about,
	// and Told the messages shown with them, in order.
	Notices []report.Notice
	Told    []string

	// RolledBack lists the steps undone during rollback, in the order run.
	RolledBack []string

	// WindowOpen, Summary and Exported describe the desktop after the run.
	// Rollback closes the window, clears the summary and deletes the
	// export.
	WindowOpen bool
	Summary    string
	Exported   bool
}

// Run builds the plan and runs it to the end. The error is only for a
// plan that cannot be built; the plan's own failure is in Result.Err.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Reporter == nil {
		cfg.Reporter = &report.Reporter{}
	}
	s := &scenario{cfg: cfg, desktop: NewDesktop(), res: &Result{}}
	plan, err := strategy.New(strategy.Config{
		Name:        "file the weekly report",
		Prompter:    strategy.PrompterFunc(s.prompt),
		Probe:       s.probe,
		UndoTimeout: cfg.scaled(strategy.DefaultUndoTimeout),
		OnEvent:     s.narrate,
	}, s.steps()...)
	if err != nil {
		return nil, err
	}
	s.desktop.closeWhileTyping(window, 3)
	s.res.Run, s.res.Err = plan.Run(ctx)
	// Every fake strategy returns once its context is done, so nothing is
	// left running; Wait makes sure of it before the desktop is read.
	if err := s.res.Run.Wait(ctx); err != nil {
		return nil, err
	}
	for _, u := range s.res.Run.Undos {
		s.res.RolledBack = append(s.res.RolledBack, u.Step)
	}
	s.res.WindowOpen = s.desktop.WindowOpen(window)
	s.res.Summary = s.desktop.Field(field)
	s.res.Exported = s.desktop.FileExists(exportFile)
	s.summarize()
	return s.res, nil
}

func (c Config) scaled(d time.Duration) time.Duration {
	if c.Scale <= 0 {
		return d
	}
	return time.Duration(float64(d) * c.Scale)
}

type scenario struct {
	cfg     Config
	desktop *Desktop

	// mu guards res, which the prompter and the event hook both update.
	mu  sync.Mutex
	res *Result
}

// steps returns the plan. Each step lists its strategies best first:
// vision, then the platform's UI automation, then screen coordinates.
func (s *scenario) steps() []strategy.Step {
	d := s.desktop
	return []strategy.Step{{
		Name:   "open-report",
		Target: window,
		Strategies: []strategy.Strategy{
			strategy.Func("vision", func(context.Context) error {
				return errors.New("no Open button found on screen (confidence 0.41, need 0.80)")
			}),
			strategy.Func("ui-automation", func(context.Context) error {
				d.OpenWindow(window)
				return nil
			}),
		},
		Timeout: s.cfg.scaled(strategy.DefaultStepTimeout),
		Undo: func(context.Context) error {
			d.CloseWindow(window)
			return nil
		},
	}, {
		Name:     "read-totals",
		Target:   window,
		ReadOnly: true,
		Strategies: []strategy.Strategy{
			strategy.Func("vision", func(ctx context.Context) error {
				<-ctx.Done() // the text recogniser never returns
				return context.Cause(ctx)
			}),
		},
		Timeout: s.cfg.scaled(strategy.DefaultStepTimeout),
	}, {
		Name:   "type-summary",
		Target: window,
		Strategies: []strategy.Strategy{&typer{
			desktop: d, window: window, field: field, text: summary,
			perWord: s.cfg.scaled(200 * time.Millisecond),
		}},
		Timeout: s.cfg.scaled(strategy.DefaultStepTimeout),
		Undo: func(context.Context) error {
			d.setField(field, "")
			return nil
		},
	}, {
		Name:   "export-pdf",
		Target: window,
		Strategies: []strategy.Strategy{
			strategy.Func("vision", func(context.Context) error {
				return errors.New("export dialog not recognised")
			}),
			strategy.Func("ui-automation", func(context.Context) error {
				return errors.New("menu item File > Export as PDF is disabled")
			}),
			&clicker{verify: func(context.Context) error {
				if !d.FileExists(exportFile) {
					return fmt.Errorf("%s was not created", exportFile)
				}
				return nil
			}},
		},
		Timeout: s.cfg.scaled(strategy.DefaultStepTimeout),
		Undo: func(context.Context) error {
			d.removeFile(exportFile)
			return nil
		},
	}}
}

// probe runs before each attempt and pauses the plan when permission is
// no longer granted.
func (s *scenario) probe(ctx context.Context) error {
	if s.cfg.Authorize == nil {
		return nil
	}
	if err := s.cfg.Authorize(ctx); err != nil {
		return &strategy.EnvironmentChangedError{
			Reason: "permission to control the desktop is no longer granted",
			Err:    errors.Join(ErrNotAuthorized, err),
		}
	}
	return nil
}

// prompt is the user's side of a pause. A real application shows a dialog;
// this user reopens a closed window and resumes, and grants permission
// again when Config.Regrant lets them.
func (s *scenario) prompt(ctx context.Context, p strategy.PauseInfo) (strategy.Decision, error) {
	if errors.Is(p.Err, ErrNotAuthorized) {
		// The user learns why permission ended, not that the plan paused.
		var changed *strategy.EnvironmentChangedError
		errors.As(p.Err, &changed)
		s.tell(ctx, changed.Err, "My permission to control the screen ended. "+
			"Grant it again to let me continue?")
		if s.cfg.Regrant == nil {
			return strategy.DecisionAbort, nil
		}
		if err := s.cfg.Regrant(ctx, p.Err); err != nil {
			s.cfg.Narrator.Failure(path, "permission was not granted again: %v", err)
			return strategy.DecisionAbort, nil
		}
		s.cfg.Narrator.Recovery(path, "the user granted permission again; resuming %s", p.Step)
		return strategy.DecisionResume, nil
	}
	s.tell(ctx, p.Err, "The "+window+" window closed while I was typing. "+
		"Reopen it and I will continue.")
	// The user takes a moment to reopen the window. The step's timeout
	// does not run meanwhile.
	if err := sleep(ctx, s.cfg.scaled(userThinkTime)); err != nil {
		return strategy.DecisionAbort, err
	}
	s.desktop.OpenWindow(window)
	s.cfg.Narrator.Recovery(path, "the user reopened the %s window and chose resume", window)
	return strategy.DecisionResume, nil
}

// tell records the report of err and shows the user message, the text a
// user interface would display with the report's code.
func (s *scenario) tell(ctx context.Context, err error, message string) {
	n := s.cfg.Reporter.From(err)
	s.cfg.Reporter.Log(ctx, s.cfg.Logger, err, slog.String("path", path))
	s.mu.Lock()
	s.res.Notices = append(s.res.Notices, n)
	s.res.Told = append(s.res.Told, message)
	s.mu.Unlock()
	s.cfg.Narrator.Notice(path, n.Code, message, n.Retryable)
}
