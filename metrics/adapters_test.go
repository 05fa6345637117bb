package metrics_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/metrics"
	"github.com/cowork-ai/resilience/plugin"
	"github.com/cowork-ai/resilience/retry"
	"github.com/cowork-ai/resilience/session"
	"github.com/cowork-ai/resilience/strategy"
	"github.com/cowork-ai/resilience/wsreconnect"
)

// value gathers reg and returns the value of the counter or gauge series
// of name whose labels include every pair of labels. It fails the test
// when no series matches.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, s := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range s.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue series
				}
			}
			if s.GetCounter() != nil {
				return s.GetCounter().GetValue()
			}
			return s.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

// throttled is an error that carries a server-requested delay.
type throttled struct{}

func (throttled) Error() string             { return "429 too many requests" }
func (throttled) RetryAfter() time.Duration { return 2 * time.Second }

func TestRetryHookCountsRetriesByReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, reg := newMetrics(t, metrics.Options{})
		attempts := 0
		err := retry.Do(t.Context(), func(context.Context) error {
			attempts++
			switch attempts {
			case 1:
				return errors.New("connection reset")
			case 2:
				return throttled{}
			}
			return nil
		}, retry.OnRetry(m.RetryHook("stt")))
		require.NoError(t, err)
		m.RetryHook("backend") // wired but never retried

		assert.Equal(t, 1.0, value(t, reg, "retry_attempts_total", "component", "stt",
			"reason", "error"))
		assert.Equal(t, 1.0, value(t, reg, "retry_attempts_total", "component", "stt",
			"reason", "retry_after"))
		assert.Equal(t, 0.0, value(t, reg, "retry_attempts_total", "component", "stt",
			"reason", "attempt_timeout"))
		assert.Equal(t, 0.0, value(t, reg, "retry_attempts_total", "component", "backend",
			"reason", "error"), "series of a component that never retried")
	})
}

func TestStrategyHookCountsAttemptsAndSteps(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{})
	fail := func(name string) strategy.Strategy {
		return strategy.Func(name, func(context.Context) error { return errors.New("not found") })
	}
	plan, err := strategy.New(strategy.Config{
		OnEvent: m.StrategyHook("vision", "ui-automation", "coordinates"),
	}, strategy.Step{
		Name: "click send",
		Strategies: []strategy.Strategy{fail("vision"), fail("ui-automation"),
			strategy.Func("coordinates", func(context.Context) error { return nil })},
	}, strategy.Step{
		Name:       "confirm",
		Strategies: []strategy.Strategy{fail("hotkey")},
	})
	require.NoError(t, err)
	_, err = plan.Run(t.Context())
	require.Error(t, err, "plan whose second step fails")

	cases := []struct {
		strategy, outcome string
		want              float64
	}{
		{"vision", "failed", 1},
		{"ui-automation", "failed", 1},
		{"coordinates", "succeeded", 1},
		{"coordinates", "failed", 0},
		{"other", "failed", 1}, // "hotkey" is not in the set
	}
	for _, c := range cases {
		got := value(t, reg, "strategy_attempts_total", "strategy", c.strategy,
			"outcome", c.outcome)
		assert.Equal(t, c.want, got, "strategy_attempts_total{%s,%s}", c.strategy, c.outcome)
	}
	assert.Equal(t, 1.0, value(t, reg, "plan_steps_total", "status", "succeeded"))
	assert.Equal(t, 1.0, value(t, reg, "plan_steps_total", "status", "failed"))
	assert.Equal(t, 0.0, value(t, reg, "plan_steps_total", "status", "timed_out"))
}

func TestPluginHooksCountVerificationsAndRuns(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{})
	onVerify, onRun := m.PluginHooks()
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	loader, err := plugin.New(plugin.Config{TrustedKeys: []ed25519.PublicKey{pub},
		OnVerify: onVerify})
	require.NoError(t, err)

	_, err = loader.Verify(t.Context(), t.TempDir(), plugin.Ref{ID: "weather"})
	require.Error(t, err, "Verify of a directory without a signature")
	assert.Equal(t, 1.0, value(t, reg, "plugin_verifications_total", "result", "rejected",
		"reason", "signature_missing"))
	assert.Equal(t, 0.0, value(t, reg, "plugin_verifications_total", "result", "accepted"))

	// Run events come from plugin processes; these are the two ends that
	// matter most to an operator.
	onRun(plugin.RunEvent{Plugin: "weather", Outcome: plugin.OutcomeOK})
	onRun(plugin.RunEvent{Plugin: "weather", Outcome: plugin.OutcomeTimeout, Killed: true})
	assert.Equal(t, 1.0, value(t, reg, "plugin_runs_total", "outcome", "ok"))
	assert.Equal(t, 1.0, value(t, reg, "plugin_runs_total", "outcome", "timeout"))
	assert.Equal(t, 0.0, value(t, reg, "plugin_runs_total", "outcome", "crashed"))
	assert.Equal(t, 1.0, value(t, reg, "plugin_kills_total"))
}

func TestAllHooksPassLint(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
	m.RetryHook("stt")
	m.StrategyHook("vision")
	m.PluginHooks()
	m.WebSocketHooks()
	m.SessionHooks()
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestWebSocketHooksCountDisconnectsAndReconnects(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{})
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	onAttempt, onDisconnect := m.WebSocketHooks()
	connected := make(chan struct{}, 4)
	schedule, err := backoff.New(backoff.Config{Kind: backoff.KindConstant,
		Initial: time.Millisecond, MaxRetries: 5})
	require.NoError(t, err)
	client, err := wsreconnect.New(wsreconnect.Config{
		URL:          "ws" + strings.TrimPrefix(srv.URL, "http"),
		Backoff:      schedule,
		OnAttempt:    onAttempt,
		OnDisconnect: onDisconnect,
		OnSuccess:    func(wsreconnect.ConnectEvent) { connected <- struct{}{} },
	})
	require.NoError(t, err)
	<-connected
	client.ForceReconnect()
	<-connected
	require.NoError(t, client.Close(t.Context()))

	for reason, want := range map[string]float64{
		"forced": 1, "local_close": 1, "server_close": 0, "connection_lost": 0,
		"heartbeat": 0, "write_timeout": 0,
	} {
		assert.Equal(t, want, value(t, reg, "websocket_disconnects_total", "reason", reason),
			"websocket_disconnects_total{reason=%q}", reason)
	}
	assert.Equal(t, 1.0, value(t, reg, "websocket_reconnect_attempts_total"),
		"reconnect attempts: the first dial is not one")
}

func TestSessionHooksCountDecisionsGrantsAndEnds(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{})
	hooks := m.SessionHooks()
	mgr, err := session.New(session.Config{
		Path:  filepath.Join(t.TempDir(), "grants.json"),
		Hooks: hooks,
	})
	require.NoError(t, err)
	defer mgr.Close()

	write := session.Scope{Action: "file.write", Resource: "/tmp/notes/*"}
	g, err := mgr.Grant(t.Context(), write, time.Minute)
	require.NoError(t, err)
	_, err = mgr.Extend(t.Context(), g.ID, 2*time.Minute)
	require.NoError(t, err)
	mgr.Check(t.Context(), session.Scope{Action: "file.write", Resource: "/tmp/notes/a.txt"})
	mgr.Check(t.Context(), session.Scope{Action: "screen.click"})
	_, err = mgr.Revoke(t.Context(), write)
	require.NoError(t, err)

	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"permission_decisions_total", []string{"result", "allowed", "reason", "granted"}, 1},
		{"permission_decisions_total", []string{"result", "denied", "reason", "not_granted"}, 1},
		{"permission_decisions_total", []string{"result", "denied", "reason", "clock_uncertain"}, 0},
		{"permission_grants_total", []string{"kind", "new"}, 1},
		{"permission_grants_total", []string{"kind", "extended"}, 1},
		{"permission_grant_ends_total", []string{"reason", "revoked"}, 1},
		{"permission_grant_ends_total", []string{"reason", "expired"}, 0},
		{"permission_store_events_total", []string{"kind", "loaded"}, 1},
		{"permission_store_events_total", []string{"kind", "degraded"}, 0},
		{"permission_store_degraded", nil, 0},
	}
	for _, c := range checks {
		assert.Equal(t, c.want, value(t, reg, c.name, c.labels...), "%s%v", c.name, c.labels)
	}

	// A degraded store needs a file that cannot be written, which root
	// can write anyway; the gauge is driven by the events directly.
	hooks.OnStore(session.StoreEvent{Kind: session.StoreDegraded})
	assert.Equal(t, 1.0, value(t, reg, "permission_store_degraded"), "after degraded")
	hooks.OnStore(session.StoreEvent{Kind: session.StoreRecovered})
	assert.Equal(t, 0.0, value(t, reg, "permission_store_degraded"), "after recovered")
}
