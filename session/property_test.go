package session_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

// injectedErrors are the failures the property test draws from: permanent
// and transient errno values and an error of no known kind.
var injectedErrors = []error{
	syscall.EIO, syscall.ENOSPC, syscall.EACCES, syscall.EPERM, syscall.EROFS,
	syscall.ENOTDIR, syscall.EISDIR, syscall.EBUSY, syscall.EINTR, syscall.EAGAIN,
	errors.New("injected failure"),
}

// injection sets up a manager that holds a grant of fileWrite and then
// suffers one failure drawn from rng. It returns the manager and a
// description of the failure.
type injection func(t *testing.T, rng *rand.Rand, injected error) (*session.Manager, string)

var injections = []injection{
	// The file holding the grant cannot be opened or read at start.
	func(t *testing.T, rng *rand.Rand, injected error) (*session.Manager, string) {
		path := filepath.Join(t.TempDir(), "grants.json")
		writeGrantFile(t, path)
		op := []string{"open", "read"}[rng.IntN(2)]
		fault := func(name, _ string) error {
			if name == op {
				return injected
			}
			return nil
		}
		return newFaultyManager(t, fileConfig(path, nil), nil, fault), "load fails at " + op
	},
	// Every write fails at one step, with DenyWhenDegraded set.
	func(t *testing.T, rng *rand.Rand, injected error) (*session.Manager, string) {
		ops := []string{"mkdir", "create", "write", "sync", "rename", "syncdir"}
		op := ops[rng.IntN(len(ops))]
		fault := func(name, _ string) error {
			if name == op {
				return injected
			}
			return nil
		}
		cfg := fileConfig(filepath.Join(t.TempDir(), "grants.json"), nil)
		cfg.DenyWhenDegraded = true
		m := newFaultyManager(t, cfg, nil, fault)
		m.Grant(context.Background(), fileWrite, time.Hour)
		return m, "write fails at " + op
	},
	// The decision hook panics with the error, or with a string.
	func(t *testing.T, rng *rand.Rand, injected error) (*session.Manager, string) {
		var value any = injected
		if rng.IntN(2) == 0 {
			value = injected.Error()
		}
		m := newManager(t, session.Config{Hooks: session.Hooks{
			OnDecision: func(session.DecisionEvent) { panic(value) },
		}}, nil)
		mustGrant(t, m, fileWrite, time.Hour)
		return m, fmt.Sprintf("OnDecision panics with %v", value)
	},
	// The wall clock jumps by more than the tolerance, either way.
	func(t *testing.T, rng *rand.Rand, _ error) (*session.Manager, string) {
		c := clock.NewFake()
		m := newManager(t, session.Config{}, c)
		mustGrant(t, m, fileWrite, time.Hour)
		jump := session.DefaultClockTolerance + time.Millisecond +
			time.Duration(rng.Int64N(int64(48*time.Hour)))
		if rng.IntN(2) == 0 {
			jump = -jump
		}
		c.AdjustWall(jump)
		return m, fmt.Sprintf("wall clock jumps %v", jump)
	},
}

// TestEveryInjectedErrorDenies checks, for random pairs of a failure and
// a place to inject it, that the check of a scope granted before the
// failure denies and that Ensure returns a coded error.
func TestEveryInjectedErrorDenies(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 26))
	for i := range 120 {
		injected := injectedErrors[rng.IntN(len(injectedErrors))]
		inject := injections[rng.IntN(len(injections))]
		seed := rng.Uint64()
		synctest.Test(t, func(t *testing.T) {
			m, what := inject(t, rand.New(rand.NewPCG(seed, 0)), injected)
			d := m.Check(context.Background(), fileWrite)
			if d.Allowed || d.Reason == session.ReasonGranted {
				t.Errorf("case %d, %s (%v): Check = %+v, want a denial", i, what, injected, d)
			}
			err := m.Ensure(context.Background(), fileWrite)
			var denied *session.DeniedError
			if !errors.As(err, &denied) || denied.Code() == "" {
				t.Errorf("case %d, %s (%v): Ensure = %v, want a coded denial", i, what, injected, err)
			}
		})
	}
}

// TestCanceledContextDenies checks that every kind of done context
// denies, whatever its cause.
func TestCanceledContextDenies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		mustGrant(t, m, fileWrite, time.Hour)
		for _, cause := range injectedErrors {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(cause)
			if d := m.Check(ctx, fileWrite); d.Allowed || d.Reason != session.ReasonCanceled {
				t.Errorf("Check with context canceled by %v = %+v, want canceled", cause, d)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		time.Sleep(time.Second)
		synctest.Wait() // the context's timer has run
		if err := m.Ensure(ctx, fileWrite); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Ensure after the deadline = %v, want context.DeadlineExceeded", err)
		}
	})
}
