package session_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

type deniedBody struct {
	Code            string `json:"code"`
	Reason          string `json:"reason"`
	RegrantRequired bool   `json:"regrant_required"`
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "done")
})

// scopeFromHeader reads the scope from the X-Scope header.
func scopeFromHeader(r *http.Request) string { return r.Header.Get("X-Scope") }

func TestMiddlewareOverLoopback(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) (*session.Manager, func(*http.Request) string)
		scope string
		want  deniedBody
	}{
		{"not granted", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			return newManager(t, session.Config{}, clock.System()), scopeFromHeader
		}, "file.write:/tmp/a", deniedBody{"ERR-PermissionDenied", "not granted", true}},

		{"revoked", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			m := newManager(t, session.Config{}, clock.System())
			sc := session.Scope{Action: "file.write", Resource: "/tmp/a"}
			mustGrant(t, m, sc, time.Hour)
			m.Revoke(context.Background(), sc)
			return m, scopeFromHeader
		}, "file.write:/tmp/a", deniedBody{"ERR-SessionRevoked", "revoked", true}},

		{"clock uncertain", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			c := clock.NewFake()
			m := newManager(t, session.Config{}, c)
			mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/*"}, time.Hour)
			c.AdjustWall(-time.Hour)
			return m, scopeFromHeader
		}, "file.write:/tmp/a", deniedBody{"ERR-ClockUncertain", "clock uncertain", true}},

		{"store degraded", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			parent := filepath.Join(t.TempDir(), "state")
			rewrite(t, parent, []byte("in the way"))
			cfg := fileConfig(filepath.Join(parent, "grants.json"), nil)
			cfg.DenyWhenDegraded = true
			m := newManager(t, cfg, clock.System())
			mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/a"}, time.Hour)
			return m, scopeFromHeader
		}, "file.write:/tmp/a", deniedBody{"ERR-StoreDegraded", "store degraded", false}},

		{"invalid scope", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			return newManager(t, session.Config{}, clock.System()), scopeFromHeader
		}, "", deniedBody{"ERR-InvalidScope", "invalid scope", false}},

		{"closed", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			m := newManager(t, session.Config{}, clock.System())
			mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/a"}, time.Hour)
			m.Close()
			return m, scopeFromHeader
		}, "file.write:/tmp/a", deniedBody{"ERR-SessionClosed", "closed", false}},

		{"scope function panics", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			return newManager(t, session.Config{}, clock.System()),
				func(*http.Request) string { panic("routing table missing") }
		}, "file.write:/tmp/a", deniedBody{"ERR-Internal", "internal error", false}},

		{"decision hook panics", func(t *testing.T) (*session.Manager, func(*http.Request) string) {
			m := newManager(t, session.Config{Hooks: session.Hooks{
				OnDecision: func(session.DecisionEvent) { panic("counter overflow") },
			}}, clock.System())
			mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/a"}, time.Hour)
			return m, scopeFromHeader
		}, "file.write:/tmp/a", deniedBody{"ERR-Internal", "internal error", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, scopeFor := tt.setup(t)
			srv := httptest.NewServer(m.Middleware(okHandler, scopeFor))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
			req.Header.Set("X-Scope", tt.scope)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			assertDenied(t, resp.StatusCode, resp.Header, resp.Body, tt.want)
		})
	}
}

func assertDenied(t *testing.T, status int, h http.Header, body io.Reader, want deniedBody) {
	t.Helper()
	if status != http.StatusForbidden {
		t.Errorf("status = %d, want 403", status)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var got deniedBody
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decoding the body: %v", err)
	}
	if got != want {
		t.Errorf("body = %+v, want %+v", got, want)
	}
}

func TestMiddlewareAllowsGranted(t *testing.T) {
	m := newManager(t, session.Config{}, clock.System())
	mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/*"}, time.Hour)
	srv := httptest.NewServer(m.Middleware(okHandler, scopeFromHeader))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	req.Header.Set("X-Scope", "file.write:/tmp/report.txt")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "done" {
		t.Errorf("response = %d %q, want 200 \"done\"", resp.StatusCode, body)
	}
}

func TestMiddlewareExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/a"}, time.Minute)
		time.Sleep(time.Minute)
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/act", nil)
		r.Header.Set("X-Scope", "file.write:/tmp/a")
		m.Middleware(okHandler, scopeFromHeader).ServeHTTP(w, r)
		assertDenied(t, w.Code, w.Header(), w.Body,
			deniedBody{"ERR-SessionExpired", "expired", true})
	})
}

func TestMiddlewareCanceledRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newManager(t, session.Config{}, nil)
		mustGrant(t, m, session.Scope{Action: "file.write", Resource: "/tmp/a"}, time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/act", nil).WithContext(ctx)
		r.Header.Set("X-Scope", "file.write:/tmp/a")
		m.Middleware(okHandler, scopeFromHeader).ServeHTTP(w, r)
		assertDenied(t, w.Code, w.Header(), w.Body,
			deniedBody{"ERR-Canceled", "canceled", false})
	})
}
