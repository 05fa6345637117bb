package strategy_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/strategy"
)

func TestStepFallbackOrder(t *testing.T) {
	errVision := errors.New("button not found on screen")
	errUI := errors.New("accessibility tree unavailable")
	vision := newCounted("vision", func(context.Context, int) error { return errVision })
	ui := newCounted("ui", func(context.Context, int) error { return errUI })
	coords := newCounted("coords", func(context.Context, int) error { return nil })
	last := newCounted("unused", func(context.Context, int) error { return nil })
	var rec recorder
	p := mustNew(t, strategy.Config{OnEvent: rec.on}, strategy.Step{
		Name:       "click send",
		Strategies: []strategy.Strategy{vision, ui, coords, last},
	})

	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	sr := res.Steps[0]
	if sr.Status != strategy.StepSucceeded || sr.Winner != "coords" {
		t.Fatalf("step = %v won by %q, want succeeded won by coords", sr.Status, sr.Winner)
	}
	want := []strategy.Attempt{
		{Strategy: "vision", Outcome: strategy.OutcomeFailed, Err: errVision},
		{Strategy: "ui", Outcome: strategy.OutcomeFailed, Err: errUI},
		{Strategy: "coords", Outcome: strategy.OutcomeSucceeded, Acted: true},
	}
	if len(sr.Attempts) != len(want) {
		t.Fatalf("Attempts = %+v, want %d attempts", sr.Attempts, len(want))
	}
	for i, a := range sr.Attempts {
		a.Elapsed = 0
		if a != want[i] {
			t.Errorf("Attempts[%d] = %+v, want %+v", i, a, want[i])
		}
	}
	for _, c := range []*counted{vision, ui, coords} {
		if n := c.calls.Load(); n != 1 {
			t.Errorf("%s ran %d times, want 1", c.name, n)
		}
	}
	if n := last.calls.Load(); n != 0 {
		t.Errorf("strategy after the winner ran %d times, want 0", n)
	}
	wantEvents := []string{"plan_start", "step_start",
		"attempt_start:vision", "attempt_end:vision", "fallback:vision",
		"attempt_start:ui", "attempt_end:ui", "fallback:ui",
		"attempt_start:coords", "attempt_end:coords", "step_end", "plan_end"}
	if got := rec.kinds(); !slices.Equal(got, wantEvents) {
		t.Errorf("events = %v\nwant %v", got, wantEvents)
	}
	fb := rec.of(strategy.EventFallback)
	if fb[0].Next != "ui" || fb[1].Next != "coords" || fb[0].Err != errVision {
		t.Errorf("fallback events = %+v, want next ui then coords with the failure", fb)
	}
}

func TestStepAllStrategiesFail(t *testing.T) {
	errLast := errors.New("coordinates off screen")
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name:       "click send",
		ReadOnly:   true,
		Strategies: []strategy.Strategy{fail("vision", errors.New("no match")), fail("coords", errLast)},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run of a read-only step = %v, want nil", err)
	}
	sr := res.Steps[0]
	if sr.Status != strategy.StepFailed {
		t.Errorf("Status = %v, want failed", sr.Status)
	}
	var se *strategy.StepError
	if !errors.As(sr.Err, &se) {
		t.Fatalf("step Err = %v, want a *StepError", sr.Err)
	}
	if se.Attempts != 2 || se.Code() != "ERR-StepFailed" || !errors.Is(se, errLast) {
		t.Errorf("StepError = %+v code %s, want 2 attempts, ERR-StepFailed, wrapping the last error",
			se, se.Code())
	}
	if errors.Is(se, strategy.ErrStepTimeout) {
		t.Error("a failed step matches ErrStepTimeout")
	}
}

func TestVerifyFailureFallsBack(t *testing.T) {
	errMissing := errors.New("text not in the field")
	typed := verifying{succeed("vision"), func(context.Context) error { return errMissing }}
	checked := verifying{succeed("ui"), func(context.Context) error { return nil }}
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name:       "type greeting",
		Strategies: []strategy.Strategy{typed, checked},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	sr := res.Steps[0]
	if sr.Winner != "ui" {
		t.Errorf("Winner = %q, want ui", sr.Winner)
	}
	first := sr.Attempts[0]
	if first.Outcome != strategy.OutcomeVerifyFailed || first.Err != errMissing || !first.Acted {
		t.Errorf("Attempts[0] = %+v, want verify_failed with the error, acted", first)
	}
}

func TestNotReadyIsSkipped(t *testing.T) {
	errNoScreen := errors.New("screen capture denied")
	vision := newCounted("vision", func(context.Context, int) error { return nil })
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name:       "click send",
		Strategies: []strategy.Strategy{unready{vision, errNoScreen}, succeed("ui")},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := vision.calls.Load(); n != 0 {
		t.Errorf("unready strategy executed %d times, want 0", n)
	}
	a := res.Steps[0].Attempts[0]
	if a.Outcome != strategy.OutcomeNotReady || a.Err != errNoScreen {
		t.Errorf("Attempts[0] = %+v, want not_ready with the reason", a)
	}
}

func TestPanicFallsBack(t *testing.T) {
	boom := strategy.Func("vision", func(context.Context) error { panic("model not loaded") })
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name: "click", Strategies: []strategy.Strategy{boom, succeed("ui")},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var pe *strategy.PanicError
	if !errors.As(res.Steps[0].Attempts[0].Err, &pe) || pe.Value != "model not loaded" {
		t.Errorf("Attempts[0].Err = %v, want a *PanicError with the value", res.Steps[0].Attempts[0].Err)
	}
	if res.Steps[0].Winner != "ui" {
		t.Errorf("Winner = %q, want ui", res.Steps[0].Winner)
	}
}

func TestTimeoutIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		p := mustNew(t, strategy.Config{OnEvent: rec.on}, strategy.Step{
			Name:       "click send",
			Strategies: []strategy.Strategy{stubborn("vision", time.Hour), succeed("ui")},
		})
		start := time.Now()
		res, err := p.Run(context.Background())
		elapsed := time.Since(start)

		if want := strategy.DefaultStepTimeout + strategy.DefaultCancelGrace; elapsed != want {
			t.Errorf("Run took %v, want %v (timeout plus cancel grace)", elapsed, want)
		}
		if !errors.Is(err, strategy.ErrStepTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run = %v, want ErrStepTimeout and context.DeadlineExceeded", err)
		}
		var se *strategy.StepError
		if !errors.As(err, &se) || se.Code() != "ERR-StepTimeout" {
			t.Errorf("Run = %v, want a *StepError with code ERR-StepTimeout", err)
		}
		sr := res.Steps[0]
		if sr.Status != strategy.StepTimedOut || sr.Elapsed != 30*time.Second {
			t.Errorf("step = %v after %v, want timed_out after 30s", sr.Status, sr.Elapsed)
		}
		a := sr.Attempts[0]
		if len(sr.Attempts) != 1 || !a.Abandoned || a.Outcome != strategy.OutcomeTimedOut || !a.Acted {
			t.Errorf("Attempts = %+v, want one abandoned, timed-out attempt that may have acted",
				sr.Attempts)
		}
		if res.Abandoned != 1 || res.Running() != 1 {
			t.Errorf("Abandoned = %d, Running = %d, want 1 and 1", res.Abandoned, res.Running())
		}
		if n := len(rec.of(strategy.EventAbandon)); n != 1 {
			t.Errorf("%d abandon events, want 1", n)
		}
		if n := len(rec.of(strategy.EventTimeout)); n != 1 {
			t.Errorf("%d timeout events, want 1", n)
		}

		if err := res.Wait(context.Background()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if got := time.Since(start); got != time.Hour {
			t.Errorf("abandoned attempt returned after %v, want 1h", got)
		}
		if res.Running() != 0 {
			t.Errorf("Running after Wait = %d, want 0", res.Running())
		}
	})
}

func TestTimeoutCooperativeNotAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		slow := strategy.Func("vision", func(ctx context.Context) error {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return ctx.Err()
		})
		p := mustNew(t, strategy.Config{}, strategy.Step{
			Name: "click", Timeout: 5 * time.Second, Strategies: []strategy.Strategy{slow},
		})
		start := time.Now()
		res, err := p.Run(context.Background())
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("Run took %v, want 5s", got)
		}
		if !errors.Is(err, strategy.ErrStepTimeout) {
			t.Errorf("Run = %v, want ErrStepTimeout", err)
		}
		if cause != strategy.ErrStepTimeout {
			t.Errorf("context cause seen by the strategy = %v, want ErrStepTimeout", cause)
		}
		if res.Abandoned != 0 || res.Steps[0].Attempts[0].Abandoned {
			t.Errorf("Abandoned = %d, want 0 for a strategy that returned", res.Abandoned)
		}
	})
}

func TestStepTimeoutSpansAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := strategy.Func("vision", func(context.Context) error {
			time.Sleep(20 * time.Second)
			return errors.New("no match")
		})
		p := mustNew(t, strategy.Config{}, strategy.Step{
			Name: "click", Strategies: []strategy.Strategy{first, sleepy("ui", 15*time.Second)},
		})
		res, _ := p.Run(context.Background())
		sr := res.Steps[0]
		if sr.Status != strategy.StepTimedOut || sr.Elapsed != 30*time.Second {
			t.Errorf("step = %v after %v, want timed_out after 30s", sr.Status, sr.Elapsed)
		}
		if got := sr.Attempts[1].Elapsed; got != 10*time.Second {
			t.Errorf("second attempt ran %v, want the remaining 10s", got)
		}
	})
}

func TestFailurePolicy(t *testing.T) {
	tests := []struct {
		name      string
		readOnly  bool
		policy    strategy.Policy
		wantAbort bool
	}{
		{"side effects default", false, strategy.PolicyDefault, true},
		{"read-only default", true, strategy.PolicyDefault, false},
		{"side effects continue", false, strategy.PolicyContinue, false},
		{"read-only abort", true, strategy.PolicyAbort, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := newCounted("next", func(context.Context, int) error { return nil })
			p := mustNew(t, strategy.Config{},
				strategy.Step{Name: "find", ReadOnly: tt.readOnly, OnFailure: tt.policy,
					Strategies: []strategy.Strategy{fail("vision", errors.New("no match"))}},
				strategy.Step{Name: "next", Strategies: []strategy.Strategy{next}},
			)
			res, err := p.Run(context.Background())
			if tt.wantAbort {
				if !errors.Is(err, strategy.ErrPlanAborted) || !errors.Is(err, strategy.ErrStepFailed) {
					t.Errorf("Run = %v, want ErrPlanAborted wrapping ErrStepFailed", err)
				}
				if next.calls.Load() != 0 || res.Steps[1].Status != strategy.StepNotRun {
					t.Errorf("next step = %v, ran %d times, want not_run", res.Steps[1].Status,
						next.calls.Load())
				}
				return
			}
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
			if res.Steps[0].Status != strategy.StepFailed || res.Steps[1].Status != strategy.StepSucceeded {
				t.Errorf("statuses = %v, %v, want failed, succeeded",
					res.Steps[0].Status, res.Steps[1].Status)
			}
		})
	}
}

func TestCanceledContextRunsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newCounted("vision", func(context.Context, int) error { return nil })
	p := mustNew(t, strategy.Config{}, strategy.Step{Name: "click", Strategies: []strategy.Strategy{s}})
	res, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, strategy.ErrPlanAborted) {
		t.Errorf("Run = %v, want ErrPlanAborted wrapping context.Canceled", err)
	}
	if s.calls.Load() != 0 || res.Steps[0].Status != strategy.StepNotRun {
		t.Errorf("strategy ran %d times, status %v, want 0 and not_run",
			s.calls.Load(), res.Steps[0].Status)
	}
}

func TestGoexitIsFailure(t *testing.T) {
	// runtime.Goexit, as t.FailNow calls it, ends Execute or Verify
	// without a return or a panic, so no success was reported.
	exits := strategy.Func("vision", func(context.Context) error {
		runtime.Goexit()
		return nil
	})
	verifyExits := verifying{succeed("ui"), func(context.Context) error {
		runtime.Goexit()
		return nil
	}}
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name: "click", Strategies: []strategy.Strategy{exits, verifyExits, succeed("coords")},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	sr := res.Steps[0]
	if sr.Winner != "coords" || len(sr.Attempts) != 3 {
		t.Fatalf("Winner = %q after %d attempts, want coords after 3", sr.Winner, len(sr.Attempts))
	}
	if a := sr.Attempts[0]; a.Outcome != strategy.OutcomeFailed || a.Err == nil {
		t.Errorf("Attempts[0] = %+v, want failed with an error", a)
	}
	if a := sr.Attempts[1]; a.Outcome != strategy.OutcomeVerifyFailed || a.Err == nil || !a.Acted {
		t.Errorf("Attempts[1] = %+v, want verify_failed with an error, acted", a)
	}
}

// readyFunc adds a Ready method that calls ready.
type readyFunc struct {
	strategy.Strategy
	ready func(ctx context.Context) error
}

func (r readyFunc) Ready(ctx context.Context) error { return r.ready(ctx) }

func TestReadyPastTimeoutSkipsExecute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vision := newCounted("vision", func(context.Context, int) error { return nil })
		slowReady := readyFunc{vision, func(context.Context) error {
			time.Sleep(31 * time.Second)
			return nil
		}}
		p := mustNew(t, strategy.Config{}, strategy.Step{
			Name: "click", Strategies: []strategy.Strategy{slowReady},
		})
		res, err := p.Run(context.Background())
		if !errors.Is(err, strategy.ErrStepTimeout) {
			t.Errorf("Run = %v, want ErrStepTimeout", err)
		}
		if n := vision.calls.Load(); n != 0 {
			t.Errorf("Execute ran %d times after the step timed out in Ready, want 0", n)
		}
		if sr := res.Steps[0]; sr.Status != strategy.StepTimedOut || sr.Elapsed != 31*time.Second {
			t.Errorf("step = %v after %v, want timed_out after 31s", sr.Status, sr.Elapsed)
		}
	})
}

func TestReadyCancelSkipsExecute(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vision := newCounted("vision", func(context.Context, int) error { return nil })
	cancelling := readyFunc{vision, func(context.Context) error {
		cancel()
		return nil
	}}
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name: "click", Strategies: []strategy.Strategy{cancelling},
	})
	res, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if n := vision.calls.Load(); n != 0 {
		t.Errorf("Execute ran %d times after the plan's context was cancelled, want 0", n)
	}
	if got := res.Steps[0].Status; got != strategy.StepAborted {
		t.Errorf("Status = %v, want aborted", got)
	}
}

func TestReadyPanicIsNotReady(t *testing.T) {
	vision := newCounted("vision", func(context.Context, int) error { return nil })
	panicking := readyFunc{vision, func(context.Context) error { panic("capture driver missing") }}
	p := mustNew(t, strategy.Config{}, strategy.Step{
		Name: "click", Strategies: []strategy.Strategy{panicking, succeed("ui")},
	})
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	a := res.Steps[0].Attempts[0]
	var pe *strategy.PanicError
	if a.Outcome != strategy.OutcomeNotReady || !errors.As(a.Err, &pe) {
		t.Errorf("Attempts[0] = %+v, want not_ready with a *PanicError", a)
	}
	if n := vision.calls.Load(); n != 0 {
		t.Errorf("Execute ran %d times after Ready panicked, want 0", n)
	}
	if got := res.Steps[0].Winner; got != "ui" {
		t.Errorf("Winner = %q, want ui", got)
	}
}
