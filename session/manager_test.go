package session_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

var fileWrite = session.Scope{Action: "file.write", Resource: "/home/ada/notes/todo.txt"}

func TestGrantAllowsCoveredScope(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		g := mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/home/ada/notes/*"}, time.Minute)
		d := m.Check(context.Background(), fileWrite)
		if !d.Allowed || d.Reason != session.ReasonGranted {
			t.Fatalf("Check = %+v, want allowed", d)
		}
		if d.GrantID != g.ID {
			t.Errorf("GrantID = %q, want %q", d.GrantID, g.ID)
		}
		if !d.ExpiresAt.Equal(g.ExpiresAt) {
			t.Errorf("ExpiresAt = %v, want %v", d.ExpiresAt, g.ExpiresAt)
		}
		if got := g.ExpiresAt.Sub(g.GrantedAt); got != time.Minute {
			t.Errorf("grant lasts %v, want 1m", got)
		}
	})
}

func TestScopesAreNarrow(t *testing.T) {
	tests := []struct {
		grant session.Scope
		check session.Scope
		want  session.Reason
	}{
		{session.Scope{Action: "file.read"}, session.Scope{Action: "file.read"}, session.ReasonGranted},
		{session.Scope{Action: "file.read"}, session.Scope{Action: "file.read", Resource: "/etc/passwd"},
			session.ReasonNotGranted},
		{session.Scope{Action: "file.read", Resource: "/tmp/*"}, session.Scope{Action: "file.read"},
			session.ReasonNotGranted},
		{session.Scope{Action: "file.read", Resource: "/tmp/*"},
			session.Scope{Action: "file.read", Resource: "/tmp/a"}, session.ReasonGranted},
		{session.Scope{Action: "file.read", Resource: "/tmp/*"},
			session.Scope{Action: "file.read", Resource: "/tmp/a/b"}, session.ReasonNotGranted},
		{session.Scope{Action: "file.read", Resource: "/tmp/*"},
			session.Scope{Action: "file.write", Resource: "/tmp/a"}, session.ReasonNotGranted},
		{session.Scope{Action: "file.read", Resource: "/tmp/a"},
			session.Scope{Action: "file.read", Resource: "/tmp/ab"}, session.ReasonNotGranted},
	}
	for _, tt := range tests {
		t.Run(tt.grant.String()+" vs "+tt.check.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newManager(t, session.Config{}, nil)
				mustGrant(t, m, tt.grant, time.Minute)
				checkReason(t, m, tt.check, tt.want)
			})
		})
	}
}

func TestGrantRejectsInvalidInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		ctx := context.Background()
		invalid := []session.Scope{
			{}, {Action: "a:b"}, {Action: "a b"}, {Action: "a\x7fb"}, {Action: "a\u2003b"},
			{Action: "a\xffb"}, {Action: "x", Resource: "["},
		}
		for _, sc := range invalid {
			if _, err := m.Grant(ctx, sc, time.Minute); !errors.Is(err, session.ErrInvalidScope) {
				t.Errorf("Grant(%q) error = %v, want ErrInvalidScope", sc, err)
			}
		}
		if _, err := m.Grant(ctx, fileWrite, 0); !errors.Is(err, session.ErrInvalidTTL) {
			t.Errorf("Grant with TTL 0 error = %v, want ErrInvalidTTL", err)
		}
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := m.Grant(canceled, fileWrite, time.Minute); !errors.Is(err, context.Canceled) {
			t.Errorf("Grant with canceled context error = %v, want context.Canceled", err)
		}
		checkReason(t, m, fileWrite, session.ReasonNotGranted)

		unicodeScope := session.Scope{Action: "fichier.écrire"}
		mustGrant(t, m, unicodeScope, time.Minute)
		checkReason(t, m, unicodeScope, session.ReasonGranted)
		checkReason(t, m, session.Scope{Action: "a b"}, session.ReasonInvalidScope)
	})
}

func TestParseScope(t *testing.T) {
	tests := []struct {
		in   string
		want session.Scope
	}{
		{"screen.click", session.Scope{Action: "screen.click"}},
		{"file.write:/tmp/*", session.Scope{Action: "file.write", Resource: "/tmp/*"}},
		{"url.open:https://example.com/a", session.Scope{Action: "url.open", Resource: "https://example.com/a"}},
	}
	for _, tt := range tests {
		got, err := session.ParseScope(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("%+v.String() = %q, want %q", got, s, tt.in)
		}
	}
	for _, in := range []string{"", ":/tmp", "a b:/tmp", "x:["} {
		if _, err := session.ParseScope(in); !errors.Is(err, session.ErrInvalidScope) {
			t.Errorf("ParseScope(%q) error = %v, want ErrInvalidScope", in, err)
		}
	}
}

func TestMaxTTLCapsGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{MaxTTL: time.Hour}, nil)
		g := mustGrant(t, m, fileWrite, 24*time.Hour)
		if got := g.ExpiresAt.Sub(g.GrantedAt); got != time.Hour {
			t.Errorf("grant lasts %v, want the 1h cap", got)
		}
		time.Sleep(time.Hour)
		checkReason(t, m, fileWrite, session.ReasonExpired)
	})
}

func TestExpiryAtExactlyTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		m := newManager(t, session.Config{Hooks: rec.hooks()}, nil)
		mustGrant(t, m, fileWrite, 10*time.Minute)

		time.Sleep(10*time.Minute - time.Nanosecond)
		checkReason(t, m, fileWrite, session.ReasonGranted)
		time.Sleep(time.Nanosecond)
		checkReason(t, m, fileWrite, session.ReasonExpired)
		synctest.Wait()

		ends := rec.endsCopy()
		if len(ends) != 1 || ends[0].Reason != session.ReasonExpired {
			t.Fatalf("end events = %+v, want one expiry", ends)
		}
		regrants := rec.regrantsCopy()
		if len(regrants) != 1 || regrants[0].Scope != fileWrite || regrants[0].Reason != session.ReasonExpired {
			t.Errorf("re-grant requests = %+v, want one for %v", regrants, fileWrite)
		}
	})
}

func TestTimerExpiresWithoutCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		m := newManager(t, session.Config{Hooks: rec.hooks()}, nil)
		start := time.Now()
		var endedAt atomic.Int64
		hooks := rec.hooks()
		hooks.OnEnd = func(session.EndEvent) { endedAt.Store(int64(time.Since(start))) }
		m2 := newManager(t, session.Config{Hooks: hooks}, nil)
		mustGrant(t, m2, fileWrite, 90*time.Second)
		mustGrant(t, m, fileWrite, time.Hour)

		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if got := time.Duration(endedAt.Load()); got != 90*time.Second {
			t.Errorf("timer ended the grant after %v, want 1m30s", got)
		}
		if got := m2.Status().Grants; got != 0 {
			t.Errorf("Status().Grants = %d after expiry, want 0", got)
		}
		if got := len(rec.regrantsCopy()); got != 1 {
			t.Errorf("re-grant requests = %d, want 1", got)
		}
	})
}

func TestClockSetBackOneHour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		c := clock.NewFake()
		m := newManager(t, session.Config{Hooks: rec.hooks()}, c)
		mustGrant(t, m, fileWrite, 8*time.Hour)
		time.Sleep(time.Minute)

		c.AdjustWall(-time.Hour)
		checkReason(t, m, fileWrite, session.ReasonClockUncertain)
		synctest.Wait()
		if regrants := rec.regrantsCopy(); len(regrants) != 1 ||
			regrants[0].Reason != session.ReasonClockUncertain {
			t.Errorf("re-grant requests = %+v, want one for a clock jump", regrants)
		}

		// The jump is handled once; a grant made afterwards holds.
		mustGrant(t, m, fileWrite, time.Hour)
		checkReason(t, m, fileWrite, session.ReasonGranted)
		time.Sleep(59 * time.Minute)
		checkReason(t, m, fileWrite, session.ReasonGranted)
	})
}

func TestClockJumpFoundByLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		c := clock.NewFake()
		m := newManager(t, session.Config{Hooks: rec.hooks()}, c)
		mustGrant(t, m, fileWrite, time.Hour)
		c.AdjustWall(-time.Hour)
		time.Sleep(session.DefaultClockCheckInterval)
		synctest.Wait()
		ends := rec.endsCopy()
		if len(ends) != 1 || ends[0].Reason != session.ReasonClockUncertain {
			t.Errorf("end events = %+v, want one clock-uncertain revocation", ends)
		}
		if got := m.Status().Grants; got != 0 {
			t.Errorf("Status().Grants = %d, want 0", got)
		}
	})
}

func TestSuspendLongerThanTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake()
		m := newManager(t, session.Config{}, c)
		short := session.Scope{Action: "screen.click"}
		mustGrant(t, m, short, 10*time.Minute)
		mustGrant(t, m, fileWrite, 4*time.Hour)

		c.Suspend(time.Hour)
		// The monotonic clock shows no time passed, but the wall clock's
		// deadline has passed, which is enough.
		checkReason(t, m, short, session.ReasonExpired)
		// The longer grant is still within both deadlines, but the clocks
		// disagree, so it is revoked.
		checkReason(t, m, fileWrite, session.ReasonClockUncertain)
	})
}

func TestWallForwardJumpRevokes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake()
		m := newManager(t, session.Config{}, c)
		mustGrant(t, m, fileWrite, time.Hour)
		c.AdjustWall(10 * time.Minute)
		checkReason(t, m, fileWrite, session.ReasonClockUncertain)
	})
}

func TestSmallDriftTolerated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake()
		m := newManager(t, session.Config{}, c)
		mustGrant(t, m, fileWrite, 8*time.Hour)
		// A slewing time daemon moves the clock by up to 0.5 ms a second.
		for range 60 {
			time.Sleep(time.Minute)
			c.AdjustWall(30 * time.Millisecond)
			checkReason(t, m, fileWrite, session.ReasonGranted)
		}
		// The loop follows the drift, so after an hour of it a step within
		// the tolerance, less the last 30 ms of slewing, is still no jump.
		time.Sleep(session.DefaultClockCheckInterval)
		synctest.Wait()
		c.AdjustWall(session.DefaultClockTolerance - 40*time.Millisecond)
		checkReason(t, m, fileWrite, session.ReasonGranted)
	})
}

func TestRevokeIsFinal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		m := newManager(t, session.Config{Hooks: rec.hooks()}, nil)
		ctx := context.Background()
		g := mustGrant(t, m, fileWrite, time.Hour)
		n, err := m.Revoke(ctx, fileWrite)
		if n != 1 || err != nil {
			t.Fatalf("Revoke = %d, %v; want 1, nil", n, err)
		}
		checkReason(t, m, fileWrite, session.ReasonRevoked)

		_, err = m.Extend(ctx, g.ID, time.Hour)
		var denied *session.DeniedError
		if !errors.As(err, &denied) || denied.Reason != session.ReasonRevoked {
			t.Fatalf("Extend of a revoked grant error = %v, want a revoked DeniedError", err)
		}
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		if n, _ := m.Revoke(ctx, fileWrite); n != 0 {
			t.Errorf("second Revoke = %d, want 0", n)
		}
		synctest.Wait()
		if got := len(rec.regrantsCopy()); got != 1 {
			t.Errorf("re-grant requests = %d, want 1", got)
		}

		// The tombstone outlasts the grant's original deadline.
		time.Sleep(time.Hour)
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		// A new grant is the user's new consent and is allowed.
		g2 := mustGrant(t, m, fileWrite, time.Hour)
		if g2.ID == g.ID {
			t.Error("a new grant reused the revoked grant's ID")
		}
		checkReason(t, m, fileWrite, session.ReasonGranted)
	})
}

func TestExtendRenewsLiveGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		g := mustGrant(t, m, fileWrite, 10*time.Minute)
		time.Sleep(9 * time.Minute)
		g2, err := m.Extend(context.Background(), g.ID, 10*time.Minute)
		if err != nil {
			t.Fatalf("Extend: %v", err)
		}
		if g2.ID != g.ID || !g2.GrantedAt.Equal(g.GrantedAt) {
			t.Errorf("Extend returned %+v, want the same grant renewed", g2)
		}
		time.Sleep(9 * time.Minute)
		checkReason(t, m, fileWrite, session.ReasonGranted)
		time.Sleep(time.Minute)
		checkReason(t, m, fileWrite, session.ReasonExpired)
		if _, err := m.Extend(context.Background(), g.ID, time.Minute); !errors.Is(err, session.ErrSessionExpired) {
			t.Errorf("Extend of an expired grant error = %v, want ErrSessionExpired", err)
		}
		if _, err := m.Extend(context.Background(), "nope", time.Minute); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Extend of an unknown grant error = %v, want ErrNotFound", err)
		}
	})
}

func TestRevokeAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		other := session.Scope{Action: "screen.click"}
		mustGrant(t, m, fileWrite, time.Hour)
		mustGrant(t, m, other, time.Hour)
		n, err := m.RevokeAll(context.Background())
		if n != 2 || err != nil {
			t.Fatalf("RevokeAll = %d, %v; want 2, nil", n, err)
		}
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		checkReason(t, m, other, session.ReasonRevoked)
	})
}

// TestGrantRevokeExtendRace runs grants, extensions, checks and
// revocations at once and checks that no grant allows after its
// revocation returned, in memory and with every change written to a file.
func TestGrantRevokeExtendRace(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			raceGrants(t, newManager(t, session.Config{}, nil), 100)
		})
	})
	t.Run("file", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "grants.json")
			m := newManager(t, fileConfig(path, nil), nil)
			raceGrants(t, m, 10)
			m.Close()
			m2 := newManager(t, fileConfig(path, nil), nil)
			checkReason(t, m2, fileWrite, session.ReasonRevoked)
		})
	})
}

// raceGrants has four goroutines grant and extend rounds times each while
// one revokes and two check.
func raceGrants(t *testing.T, m *session.Manager, rounds int) {
	t.Helper()
	ctx := context.Background()
	var revoked sync.Map // grant ID -> true once a revocation covering it returned
	var ids sync.Map
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range rounds {
				g, err := m.Grant(ctx, fileWrite, time.Hour)
				if err != nil {
					t.Errorf("Grant: %v", err)
					return
				}
				ids.Store(g.ID, true)
				if _, err := m.Extend(ctx, g.ID, time.Hour); err != nil &&
					!errors.Is(err, session.ErrSessionRevoked) {
					t.Errorf("worker %d, round %d: Extend: %v", w, i, err)
				}
			}
		})
	}
	wg.Go(func() {
		for range rounds {
			var before []string
			ids.Range(func(k, _ any) bool { before = append(before, k.(string)); return true })
			if _, err := m.Revoke(ctx, fileWrite); err != nil {
				t.Errorf("Revoke: %v", err)
			}
			for _, id := range before {
				revoked.Store(id, true)
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 10 * rounds {
				var snapshot []string
				revoked.Range(func(k, _ any) bool { snapshot = append(snapshot, k.(string)); return true })
				d := m.Check(ctx, fileWrite)
				for _, id := range snapshot {
					if d.Allowed && d.GrantID == id {
						t.Errorf("grant %s allowed after its revocation returned", id)
					}
				}
			}
		})
	}
	wg.Wait()
	m.RevokeAll(ctx)
	checkReason(t, m, fileWrite, session.ReasonRevoked)
}

func TestHookPanicDenies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{Hooks: session.Hooks{
			OnDecision: func(session.DecisionEvent) { panic("metrics exploded") },
		}}, nil)
		mustGrant(t, m, fileWrite, time.Hour)
		checkReason(t, m, fileWrite, session.ReasonInternal)
		if err := m.Ensure(context.Background(), fileWrite); !errors.Is(err, session.ErrInternal) {
			t.Errorf("Ensure error = %v, want ErrInternal", err)
		}
	})
}

func TestGrantHookPanicRevokes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{Hooks: session.Hooks{
			OnGrant: func(session.GrantEvent) { panic(errors.New("audit log full")) },
		}}, nil)
		_, err := m.Grant(context.Background(), fileWrite, time.Hour)
		if !errors.Is(err, session.ErrInternal) {
			t.Fatalf("Grant error = %v, want ErrInternal", err)
		}
		checkReason(t, m, fileWrite, session.ReasonInternal)
	})
}

func TestEnsureErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		ctx := context.Background()
		if err := m.Ensure(ctx, fileWrite); err == nil {
			t.Fatal("Ensure without a grant = nil, want an error")
		}
		mustGrant(t, m, fileWrite, time.Minute)
		if err := m.Ensure(ctx, fileWrite); err != nil {
			t.Fatalf("Ensure with a grant: %v", err)
		}
		time.Sleep(time.Minute)

		err := m.Ensure(ctx, fileWrite)
		var denied *session.DeniedError
		if !errors.As(err, &denied) {
			t.Fatalf("Ensure error = %T %v, want *DeniedError", err, err)
		}
		if got := denied.Code(); got != "ERR-SessionExpired" {
			t.Errorf("Code() = %q, want ERR-SessionExpired", got)
		}
		if !errors.Is(err, session.ErrSessionExpired) || !errors.Is(err, session.ErrPermissionDenied) {
			t.Errorf("error %v does not match ErrSessionExpired and ErrPermissionDenied", err)
		}
		if !denied.RegrantRequired() {
			t.Error("RegrantRequired() = false for an expired grant, want true")
		}

		canceled, cancel := context.WithCancelCause(ctx)
		cause := errors.New("user closed the window")
		cancel(cause)
		err = m.Ensure(canceled, fileWrite)
		if !errors.Is(err, cause) || !errors.Is(err, session.ErrPermissionDenied) {
			t.Errorf("Ensure with a canceled context error = %v, want the cause and ErrPermissionDenied", err)
		}
	})
}

func TestReasonCodes(t *testing.T) {
	tests := []struct {
		reason  session.Reason
		name    string
		code    string
		regrant bool
	}{
		{session.ReasonNotGranted, "not granted", "ERR-PermissionDenied", true},
		{session.ReasonGranted, "granted", "", false},
		{session.ReasonExpired, "expired", "ERR-SessionExpired", true},
		{session.ReasonRevoked, "revoked", "ERR-SessionRevoked", true},
		{session.ReasonClockUncertain, "clock uncertain", "ERR-ClockUncertain", true},
		{session.ReasonStoreDegraded, "store degraded", "ERR-StoreDegraded", false},
		{session.ReasonInvalidScope, "invalid scope", "ERR-InvalidScope", false},
		{session.ReasonCanceled, "canceled", "ERR-Canceled", false},
		{session.ReasonClosed, "closed", "ERR-SessionClosed", false},
		{session.ReasonInternal, "internal error", "ERR-Internal", false},
		{session.Reason(200), "Reason(200)", "ERR-Internal", false},
	}
	for _, tt := range tests {
		if got := tt.reason.String(); got != tt.name {
			t.Errorf("Reason(%d).String() = %q, want %q", tt.reason, got, tt.name)
		}
		if got := tt.reason.Code(); got != tt.code {
			t.Errorf("%v.Code() = %q, want %q", tt.reason, got, tt.code)
		}
		if got := tt.reason.RegrantRequired(); got != tt.regrant {
			t.Errorf("%v.RegrantRequired() = %v, want %v", tt.reason, got, tt.regrant)
		}
	}
	var zero session.Decision
	if zero.Allowed || zero.Reason == session.ReasonGranted {
		t.Errorf("zero Decision = %+v, want a denial", zero)
	}
}

func TestRegrantDeduplicated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var got []session.RegrantRequest
		m := newManager(t, session.Config{Hooks: session.Hooks{
			OnRegrant: func(r session.RegrantRequest) {
				mu.Lock()
				got = append(got, r)
				first := len(got) == 1
				mu.Unlock()
				if first {
					<-release
				}
			},
		}}, nil)
		ctx := context.Background()
		other := session.Scope{Action: "screen.click"}

		mustGrant(t, m, fileWrite, time.Hour)
		m.Revoke(ctx, fileWrite) // delivered; the hook blocks
		synctest.Wait()
		for range 3 {
			mustGrant(t, m, fileWrite, time.Hour)
		}
		mustGrant(t, m, other, time.Hour)
		if n, _ := m.RevokeAll(ctx); n != 4 { // the caller is not blocked
			t.Fatalf("RevokeAll = %d, want 4", n)
		}
		close(release)
		synctest.Wait()

		mu.Lock()
		defer mu.Unlock()
		if len(got) != 3 {
			t.Fatalf("re-grant requests = %+v, want 3 (one per waiting scope)", got)
		}
		// RevokeAll ends grants in no particular order.
		if got[1].Scope == got[2].Scope || (got[1].Scope != fileWrite && got[1].Scope != other) ||
			(got[2].Scope != fileWrite && got[2].Scope != other) {
			t.Errorf("requests after release for %v and %v, want one each for %v and %v",
				got[1].Scope, got[2].Scope, fileWrite, other)
		}
	})
}

func TestClosedManagerDenies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		mustGrant(t, m, fileWrite, time.Hour)
		if err := m.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		checkReason(t, m, fileWrite, session.ReasonClosed)
		if _, err := m.Grant(context.Background(), fileWrite, time.Hour); !errors.Is(err, session.ErrClosed) {
			t.Errorf("Grant after Close error = %v, want ErrClosed", err)
		}
		if _, err := m.RevokeAll(context.Background()); !errors.Is(err, session.ErrClosed) {
			t.Errorf("RevokeAll after Close error = %v, want ErrClosed", err)
		}
	})
}

func TestConfigRejected(t *testing.T) {
	tests := []struct {
		cfg   session.Config
		field string
	}{
		{session.Config{MaxTTL: -1}, "MaxTTL"},
		{session.Config{ClockTolerance: -1}, "ClockTolerance"},
		{session.Config{ClockCheckInterval: -1}, "ClockCheckInterval"},
		{session.Config{RetryInterval: -1}, "RetryInterval"},
		{session.Config{Path: "/x", Key: []byte("short")}, "Key"},
		{session.Config{Key: testKey}, "Path"},
	}
	for _, tt := range tests {
		_, err := session.New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("New(%+v) error = %v, want one naming %s", tt.cfg, err, tt.field)
		}
	}
}

func TestLoggerRecordsSecurityEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &captureHandler{}
		c := clock.NewFake()
		m := newManager(t, session.Config{Logger: slogNew(h)}, c)
		mustGrant(t, m, fileWrite, time.Hour)
		c.AdjustWall(-time.Hour)
		checkReason(t, m, fileWrite, session.ReasonClockUncertain)
		synctest.Wait()
		if !h.has("clock_jump") {
			t.Errorf("log records %v, want an Error record with event=clock_jump", h.events())
		}
	})
}

func TestTombstoneDroppedAfterRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{MaxTTL: time.Hour}, nil)
		ctx := context.Background()
		g := mustGrant(t, m, fileWrite, 10*time.Minute)
		m.Revoke(ctx, fileWrite)

		time.Sleep(time.Hour - time.Second)
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		time.Sleep(time.Second + session.DefaultClockCheckInterval)
		synctest.Wait()
		checkReason(t, m, fileWrite, session.ReasonNotGranted)
		if _, err := m.Extend(ctx, g.ID, time.Minute); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Extend of a forgotten grant error = %v, want ErrNotFound", err)
		}
	})
}

func TestDeniedErrorMessage(t *testing.T) {
	err := &session.DeniedError{
		Scope:  session.Scope{Action: "file.write", Resource: "/tmp/a"},
		Reason: session.ReasonCanceled,
		Cause:  context.Canceled,
	}
	want := "session: permission denied for file.write:/tmp/a: canceled: context canceled"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Error("DeniedError does not unwrap to its cause")
	}
	if errors.Is(err, session.ErrSessionExpired) {
		t.Error("a canceled denial matches ErrSessionExpired")
	}
}

func TestHooksMayCallManager(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var m *session.Manager
		var checked atomic.Int32
		m = newManager(t, session.Config{Hooks: session.Hooks{
			OnEnd: func(e session.EndEvent) {
				if !m.Check(context.Background(), e.Grant.Scope).Allowed {
					checked.Add(1)
				}
			},
			// The user agrees at once to every request.
			OnRegrant: func(r session.RegrantRequest) {
				m.Grant(context.Background(), r.Scope, time.Minute)
			},
		}}, nil)
		mustGrant(t, m, fileWrite, time.Minute)
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := checked.Load(); got != 1 {
			t.Errorf("OnEnd saw %d denials, want 1", got)
		}
		checkReason(t, m, fileWrite, session.ReasonGranted)
	})
}
