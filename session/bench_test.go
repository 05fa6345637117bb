package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

// benchManager returns a manager with a few grants besides one that covers
// fileWrite, as an assistant would hold.
func benchManager(b *testing.B) *session.Manager {
	b.Helper()
	m, err := session.NewForTest(session.Config{}, clock.System(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	ctx := context.Background()
	for _, sc := range []session.Scope{
		{Action: "file.write", Resource: "/home/ada/photos/*"},
		{Action: "file.write", Resource: "/home/ada/notes/*"},
		{Action: "screen.click"},
		{Action: "mic.listen"},
	} {
		if _, err := m.Grant(ctx, sc, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

func BenchmarkCheckGranted(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if !m.Check(ctx, fileWrite).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkCheckGrantedParallel(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !m.Check(ctx, fileWrite).Allowed {
				b.Error("denied")
				return
			}
		}
	})
}

func BenchmarkCheckExactScope(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	click := session.Scope{Action: "screen.click"}
	b.ReportAllocs()
	for b.Loop() {
		if !m.Check(ctx, click).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkCheckNotGranted(b *testing.B) {
	m := benchManager(b)
	ctx := context.Background()
	other := session.Scope{Action: "file.delete", Resource: "/home/ada/notes/todo.txt"}
	b.ReportAllocs()
	for b.Loop() {
		if m.Check(ctx, other).Allowed {
			b.Fatal("allowed")
		}
	}
}

func BenchmarkCheckWithHook(b *testing.B) {
	var denials [16]int
	m, err := session.NewForTest(session.Config{Hooks: session.Hooks{
		OnDecision: func(e session.DecisionEvent) { denials[e.Decision.Reason]++ },
	}}, clock.System(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	m.Grant(ctx, fileWrite, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		m.Check(ctx, fileWrite)
	}
}

func TestCheckGrantedDoesNotAllocate(t *testing.T) {
	m := newManager(t, session.Config{}, clock.System())
	mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/home/ada/notes/*"}, time.Hour)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if !m.Check(ctx, fileWrite).Allowed {
			t.Fatal("denied")
		}
	})
	if allocs != 0 {
		t.Errorf("Check allocates %v times per call, want 0", allocs)
	}
}

// BenchmarkTimeNow is the floor under Check, which must read the wall and
// monotonic clocks once per call.
func BenchmarkTimeNow(b *testing.B) {
	c := clock.System()
	b.ReportAllocs()
	for b.Loop() {
		c.Now()
	}
}
