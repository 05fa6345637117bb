package session_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

// TestPatternSkipsDotSegments checks resources that, once resolved, name a
// place outside the pattern: "." and ".." elements and empty elements,
// which a "*" would otherwise match.
func TestPatternSkipsDotSegments(t *testing.T) {
	tests := []struct {
		pattern  string
		resource string
		want     session.Reason
	}{
		{"/home/ada/notes/*", "/home/ada/notes/..", session.ReasonNotGranted},
		{"/home/ada/notes/*", "/home/ada/notes/.", session.ReasonNotGranted},
		{"/home/*/notes", "/home/../notes", session.ReasonNotGranted},
		{"/home/*/notes", "/home/./notes", session.ReasonNotGranted},
		{"/home/*/notes", "/home//notes", session.ReasonNotGranted},
		{"/home/?./x", "/home/../x", session.ReasonNotGranted},
		{"dir/*", "dir/../etc/passwd", session.ReasonNotGranted},
		{"dir/*", "dir/a/b", session.ReasonNotGranted},
		{"dir/*", "dir/a/", session.ReasonNotGranted},
		{"dir/*", "DIR/a", session.ReasonNotGranted},
		{"*", "..", session.ReasonNotGranted},
		{"*", ".", session.ReasonNotGranted},
		{"dir/*", "dir/..hidden", session.ReasonGranted},
		{"dir/*", "dir/.hidden", session.ReasonGranted},
		{"/home/*/notes", "/home/ada/notes", session.ReasonGranted},
		{"/home/ada/notes/..", "/home/ada/notes/..", session.ReasonGranted},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" vs "+tt.resource, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newManager(t, session.Config{}, nil)
				mustGrant(t, m, session.Scope{Action: "file.read", Resource: tt.pattern}, time.Minute)
				checkReason(t, m, session.Scope{Action: "file.read", Resource: tt.resource}, tt.want)
			})
		})
	}
}

// TestRevokeAfterCloseIsKept revokes a grant after Close: the revocation
// must reach the file, or the grant comes back at the next start.
func TestRevokeAfterCloseIsKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		m := newManager(t, fileConfig(path, nil), nil)
		mustGrant(t, m, fileWrite, time.Hour)
		if err := m.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		n, err := m.Revoke(context.Background(), fileWrite)
		if n != 1 || !errors.Is(err, session.ErrClosed) {
			t.Errorf("Revoke after Close = %d, %v; want 1, ErrClosed", n, err)
		}
		m2 := newManager(t, fileConfig(path, nil), nil)
		checkReason(t, m2, fileWrite, session.ReasonRevoked)
	})
}

// TestGrantHookPanicRevokesExtendedGrant has OnGrant extend the new grant
// and then panic. Grant fails, so the grant must not live on in its
// extension.
func TestGrantHookPanicRevokesExtendedGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var m *session.Manager
		m = newManager(t, session.Config{Hooks: session.Hooks{
			OnGrant: func(e session.GrantEvent) {
				if e.Extended {
					return
				}
				if _, err := m.Extend(context.Background(), e.Grant.ID, time.Hour); err != nil {
					t.Errorf("Extend in OnGrant: %v", err)
				}
				panic("audit log full")
			},
		}}, nil)
		_, err := m.Grant(context.Background(), fileWrite, time.Hour)
		if !errors.Is(err, session.ErrInternal) {
			t.Fatalf("Grant error = %v, want ErrInternal", err)
		}
		checkReason(t, m, fileWrite, session.ReasonInternal)
		if got := m.Status().Grants; got != 0 {
			t.Errorf("Status().Grants = %d, want 0", got)
		}
	})
}

// TestStaleFileEmptiedWhenNotRemovable fails every new file, rename and
// removal, as in a directory that became read-only, after a revocation.
// The file itself stays writable, so it is emptied in place: the revoked
// grant must not load at the next start.
func TestStaleFileEmptiedWhenNotRemovable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		var mu sync.Mutex
		readOnly := false
		fault := func(op, _ string) error {
			mu.Lock()
			defer mu.Unlock()
			if readOnly && (op == "create" || op == "rename" || op == "remove") {
				return syscall.EACCES
			}
			return nil
		}
		m := newFaultyManager(t, fileConfig(path, nil), nil, fault)
		mustGrant(t, m, fileWrite, time.Hour)
		mu.Lock()
		readOnly = true
		mu.Unlock()
		if n, _ := m.Revoke(context.Background(), fileWrite); n != 1 {
			t.Fatalf("Revoke ended %d grants, want 1", n)
		}
		m.Close()

		m2 := newManager(t, fileConfig(path, nil), nil)
		if d := m2.Check(context.Background(), fileWrite); d.Allowed {
			t.Errorf("revoked grant came back after a restart: %+v", d)
		}
	})
}

// TestHugeMaxTTLKeepsGrantsAndTombstones sets MaxTTL to the largest
// duration: deadlines saturate instead of wrapping into the past.
func TestHugeMaxTTLKeepsGrantsAndTombstones(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{MaxTTL: math.MaxInt64}, nil)
		g := mustGrant(t, m, fileWrite, math.MaxInt64)
		checkReason(t, m, fileWrite, session.ReasonGranted)
		if n, err := m.Revoke(context.Background(), fileWrite); n != 1 || err != nil {
			t.Fatalf("Revoke = %d, %v; want 1, nil", n, err)
		}
		time.Sleep(time.Hour) // let the loop drop any tombstone due
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		var denied *session.DeniedError
		if _, err := m.Extend(context.Background(), g.ID, time.Hour); !errors.As(err, &denied) {
			t.Errorf("Extend of a revoked grant error = %v, want a DeniedError", err)
		}
	})
}

// TestRevokeRacingCloseIsKept revokes while Close runs: whichever comes
// first, the file must not bring the grant back at the next start.
func TestRevokeRacingCloseIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grants.json")
	m, err := session.New(fileConfig(path, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mustGrant(t, m, fileWrite, time.Hour)
	var wg sync.WaitGroup
	wg.Go(func() { m.Close() })
	wg.Go(func() {
		if n, _ := m.Revoke(context.Background(), fileWrite); n != 1 {
			t.Errorf("Revoke ended %d grants, want 1", n)
		}
	})
	wg.Wait()

	m2 := newManager(t, fileConfig(path, nil), nil)
	checkReason(t, m2, fileWrite, session.ReasonRevoked)
}

// TestSteppedDriftAddsUp sets the wall clock back by less than the
// tolerance before each tick of the loop. The steps add up to a jump, so
// they must not vanish one tick at a time.
func TestSteppedDriftAddsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake()
		m := newManager(t, session.Config{}, c)
		mustGrant(t, m, fileWrite, 8*time.Hour)
		for range 100 {
			c.AdjustWall(-session.DefaultClockTolerance * 3 / 4)
			time.Sleep(session.DefaultClockCheckInterval)
			synctest.Wait()
		}
		checkReason(t, m, fileWrite, session.ReasonClockUncertain)
	})
}
