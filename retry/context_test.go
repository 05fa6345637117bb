package retry

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type ctxKey struct{}

func TestAttemptContextPassesValueAndDeadline(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), ctxKey{}, "v"),
		deadline)
	defer cancel()
	ctx := &attemptContext{parent: parent}
	defer ctx.end()
	if got := ctx.Value(ctxKey{}); got != "v" {
		t.Errorf("Value() = %v, want v", got)
	}
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline) {
		t.Errorf("Deadline() = %v, %v; want %v, true", got, ok, deadline)
	}
	ctx.Done() // creates the child; values must still come through
	if got := ctx.Value(ctxKey{}); got != "v" {
		t.Errorf("Value() after Done = %v, want v", got)
	}
}

func TestAttemptContextEnd(t *testing.T) {
	for _, doneFirst := range []bool{false, true} {
		ctx := &attemptContext{parent: context.Background()}
		if doneFirst {
			ctx.Done()
		}
		if err := ctx.Err(); err != nil {
			t.Errorf("Done called first = %v: Err() = %v before end, want nil", doneFirst, err)
		}
		ctx.end()
		select {
		case <-ctx.Done():
		default:
			t.Errorf("Done called first = %v: Done() not closed after end", doneFirst)
		}
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("Done called first = %v: Err() = %v after end, want context.Canceled",
				doneFirst, err)
		}
		if cause := context.Cause(ctx); cause != context.Canceled {
			t.Errorf("Done called first = %v: Cause() = %v, want context.Canceled",
				doneFirst, cause)
		}
	}
}

func TestAttemptContextFollowsParent(t *testing.T) {
	shutdown := errors.New("shutting down")
	for _, doneFirst := range []bool{false, true} {
		parent, cancel := context.WithCancelCause(context.Background())
		ctx := &attemptContext{parent: parent}
		if doneFirst {
			ctx.Done()
		}
		cancel(shutdown)
		<-ctx.Done()
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("Err() = %v, want context.Canceled", err)
		}
		if cause := context.Cause(ctx); cause != shutdown {
			t.Errorf("Cause() = %v, want %v", cause, shutdown)
		}
		ctx.end()
		if err := ctx.Err(); err != context.Canceled {
			t.Errorf("Err() after end = %v, want context.Canceled", err)
		}
	}
}

func TestAttemptContextKeepsParentErrorAfterEnd(t *testing.T) {
	parent, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	ctx := &attemptContext{parent: parent}
	ctx.end()
	if err := ctx.Err(); err != context.DeadlineExceeded {
		t.Errorf("Err() = %v, want context.DeadlineExceeded", err)
	}
}

// TestAttemptContextDerivedNeedsNoGoroutine checks that a context derived
// from an attempt's context is canceled through the child cancelCtx, not by
// a goroutine that the context package starts for foreign parents.
func TestAttemptContextDerivedNeedsNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := &attemptContext{parent: t.Context()}
		before := runtime.NumGoroutine()
		derived, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		if after := runtime.NumGoroutine(); after != before {
			t.Errorf("deriving a context started %d goroutines, want 0", after-before)
		}
		ctx.end()
		<-derived.Done()
		if err := derived.Err(); err != context.Canceled {
			t.Errorf("derived Err() = %v, want context.Canceled", err)
		}
	})
}

func TestAttemptContextAfterFunc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := &attemptContext{parent: t.Context()}
		ran := make(chan struct{})
		context.AfterFunc(ctx, func() { close(ran) })
		ctx.end()
		<-ran
	})
}

func TestAttemptContextConcurrentUse(t *testing.T) {
	ctx := &attemptContext{parent: context.Background()}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				ctx.Done()
				ctx.Err()
				ctx.Value(ctxKey{})
			}
		})
	}
	wg.Go(ctx.end)
	wg.Wait()
	<-ctx.Done()
	if ctx.Err() != context.Canceled {
		t.Errorf("Err() = %v, want context.Canceled", ctx.Err())
	}
}
