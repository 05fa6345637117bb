package strategy_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/strategy"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// counted is a strategy that records how often it ran.
type counted struct {
	name  string
	calls atomic.Int32
	exec  func(ctx context.Context, call int) error
}

func newCounted(name string, exec func(ctx context.Context, call int) error) *counted {
	return &counted{name: name, exec: exec}
}

func (c *counted) Name() string { return c.name }

func (c *counted) Execute(ctx context.Context) error {
	return c.exec(ctx, int(c.calls.Add(1)))
}

// verifying adds a Verify method to a strategy.
type verifying struct {
	strategy.Strategy
	verify func(ctx context.Context) error
}

func (v verifying) Verify(ctx context.Context) error { return v.verify(ctx) }

// undoing adds an Undo method to a strategy.
type undoing struct {
	strategy.Strategy
	undo func(ctx context.Context) error
}

func (u undoing) Undo(ctx context.Context) error { return u.undo(ctx) }

// overlapping declares a strategy safe to overlap.
type overlapping struct{ strategy.Strategy }

func (overlapping) SafeToOverlap() bool { return true }

// unready adds a Ready method that returns err.
type unready struct {
	strategy.Strategy
	err error
}

func (u unready) Ready(context.Context) error { return u.err }

// succeed returns a strategy that succeeds at once.
func succeed(name string) strategy.Strategy {
	return strategy.Func(name, func(context.Context) error { return nil })
}

// fail returns a strategy that fails at once with err.
func fail(name string, err error) strategy.Strategy {
	return strategy.Func(name, func(context.Context) error { return err })
}

// sleepy returns a strategy that works for d and honours its context.
func sleepy(name string, d time.Duration) strategy.Strategy {
	return strategy.Func(name, func(ctx context.Context) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// stubborn returns a strategy that works for d and ignores its context.
func stubborn(name string, d time.Duration) strategy.Strategy {
	return strategy.Func(name, func(context.Context) error {
		time.Sleep(d)
		return nil
	})
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []strategy.Event
}

func (r *recorder) on(e strategy.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// kinds returns the kinds of the recorded events, with the strategy for
// attempt, fallback and undo events, as "kind" or "kind:strategy".
func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		s := e.Kind.String()
		if e.Strategy != "" {
			s += ":" + e.Strategy
		}
		out = append(out, s)
	}
	return out
}

// of returns the recorded events of kind k.
func (r *recorder) of(k strategy.EventKind) []strategy.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []strategy.Event
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func mustNew(t testing.TB, cfg strategy.Config, steps ...strategy.Step) *strategy.Plan {
	t.Helper()
	p, err := strategy.New(cfg, steps...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// answer returns a prompter that waits d, then returns each decision in
// turn, and counts its calls.
func answer(d time.Duration, calls *int, decisions ...strategy.Decision) strategy.Prompter {
	return strategy.PrompterFunc(func(ctx context.Context, _ strategy.PauseInfo) (strategy.Decision, error) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return strategy.DecisionAbort, ctx.Err()
		}
		*calls++
		return decisions[min(*calls, len(decisions))-1], nil
	})
}
