package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newMetrics(t *testing.T, opts metrics.Options) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, opts)
	require.NoError(t, err)
	return m, reg
}

func TestNewRejectsNilRegisterer(t *testing.T) {
	_, err := metrics.New(nil, metrics.Options{})
	assert.ErrorContains(t, err, "Registerer")
}

func TestNewRejectsSecondRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	_, err = metrics.New(reg, metrics.Options{})
	var already prometheus.AlreadyRegisteredError
	assert.ErrorAs(t, err, &already)
}

func TestKnownSeriesStartAtZero(t *testing.T) {
	_, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
	want := `
# HELP circuit_breaker_state State of the circuit breaker of a service: 0 closed, 1 half-open, 2 open.
# TYPE circuit_breaker_state gauge
circuit_breaker_state{service="openai"} 0
circuit_breaker_state{service="other"} 0
# HELP circuit_breaker_transitions_total State transitions of the circuit breaker of a service.
# TYPE circuit_breaker_transitions_total counter
circuit_breaker_transitions_total{from="closed",service="openai",to="open"} 0
circuit_breaker_transitions_total{from="closed",service="other",to="open"} 0
circuit_breaker_transitions_total{from="half-open",service="openai",to="closed"} 0
circuit_breaker_transitions_total{from="half-open",service="openai",to="open"} 0
circuit_breaker_transitions_total{from="half-open",service="other",to="closed"} 0
circuit_breaker_transitions_total{from="half-open",service="other",to="open"} 0
circuit_breaker_transitions_total{from="open",service="openai",to="half-open"} 0
circuit_breaker_transitions_total{from="open",service="other",to="half-open"} 0
# HELP http_errors_total HTTP requests to a service that failed: a transport error or a 5xx response.
# TYPE http_errors_total counter
http_errors_total{service="openai"} 0
http_errors_total{service="other"} 0
# HELP http_requests_total HTTP requests sent to a service, counted when the response headers arrive or the request fails.
# TYPE http_requests_total counter
http_requests_total{service="openai"} 0
http_requests_total{service="other"} 0
# HELP websocket_reconnect_attempts_total Dial attempts made to restore a WebSocket connection that was lost.
# TYPE websocket_reconnect_attempts_total counter
websocket_reconnect_attempts_total 0
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"circuit_breaker_state", "circuit_breaker_transitions_total",
		"http_errors_total", "http_requests_total", "websocket_reconnect_attempts_total")
	assert.NoError(t, err)
}

func TestMetricsPassLint(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
	m.BreakerHook()(breaker.StateChange{Name: "openai", From: breaker.StateClosed, To: breaker.StateOpen})
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestNamespacePrefixesNames(t *testing.T) {
	_, reg := newMetrics(t, metrics.Options{Namespace: "assistant", Services: []string{"openai"}})
	n, err := testutil.GatherAndCount(reg, "assistant_http_requests_total")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "assistant_http_requests_total series")
	n, err = testutil.GatherAndCount(reg, "http_requests_total")
	require.NoError(t, err)
	assert.Zero(t, n, "unprefixed series")
}

func TestBreakerHookFollowsBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
		b, err := breaker.New("openai", breaker.Config{
			ConsecutiveFailures: 1,
			OnStateChange:       m.BreakerHook(),
		})
		require.NoError(t, err)

		_ = b.Execute(t.Context(), func(context.Context) error { return errors.New("503") })
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		require.NoError(t, b.Execute(t.Context(), func(context.Context) error { return nil }))

		want := `
# HELP circuit_breaker_state State of the circuit breaker of a service: 0 closed, 1 half-open, 2 open.
# TYPE circuit_breaker_state gauge
circuit_breaker_state{service="openai"} 0
circuit_breaker_state{service="other"} 0
# HELP circuit_breaker_transitions_total State transitions of the circuit breaker of a service.
# TYPE circuit_breaker_transitions_total counter
circuit_breaker_transitions_total{from="closed",service="openai",to="open"} 1
circuit_breaker_transitions_total{from="closed",service="other",to="open"} 0
circuit_breaker_transitions_total{from="half-open",service="openai",to="closed"} 1
circuit_breaker_transitions_total{from="half-open",service="openai",to="open"} 0
circuit_breaker_transitions_total{from="half-open",service="other",to="closed"} 0
circuit_breaker_transitions_total{from="half-open",service="other",to="open"} 0
circuit_breaker_transitions_total{from="open",service="openai",to="half-open"} 1
circuit_breaker_transitions_total{from="open",service="other",to="half-open"} 0
`
		assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
			"circuit_breaker_state", "circuit_breaker_transitions_total"))
	})
}

func TestBreakerStateGauge(t *testing.T) {
	m, _ := newMetrics(t, metrics.Options{})
	hook := m.BreakerHook()
	gauge := func() float64 {
		return testutil.ToFloat64(metrics.BreakerStateForTest(m, "openai"))
	}
	steps := []struct {
		from, to breaker.State
		want     float64
	}{
		{breaker.StateClosed, breaker.StateOpen, 2},
		{breaker.StateOpen, breaker.StateHalfOpen, 1},
		{breaker.StateHalfOpen, breaker.StateClosed, 0},
	}
	for _, s := range steps {
		hook(breaker.StateChange{Name: "openai", From: s.from, To: s.to})
		assert.Equal(t, s.want, gauge(), "circuit_breaker_state after %s -> %s", s.from, s.to)
	}
}

func TestBreakerSetExportsHalfOpenOnScrape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m, err := metrics.New(reg, metrics.Options{})
		require.NoError(t, err)
		b, err := breaker.New("openai", breaker.Config{
			ConsecutiveFailures: 1,
			OnStateChange:       m.BreakerHook(),
		})
		require.NoError(t, err)
		set, err := breaker.NewSet(b)
		require.NoError(t, err)
		m.WatchBreakers(set)
		assert.Equal(t, "closed", scrapeState(t, reg, "openai"), "state scraped before any call")

		_ = b.Execute(t.Context(), func(context.Context) error { return errors.New("503") })
		assert.Equal(t, "open", scrapeState(t, reg, "openai"), "state scraped while open")
		time.Sleep(breaker.DefaultOpenTimeout + time.Nanosecond)
		assert.Equal(t, "half-open", scrapeState(t, reg, "openai"), "state scraped after the open period")
	})
}

// scrapeState gathers reg and returns the state of service's breaker as
// circuit_breaker_state exports it, or "missing".
func scrapeState(t *testing.T, reg prometheus.Gatherer, service string) string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "circuit_breaker_state" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if mt.GetLabel()[0].GetValue() == service {
				return breaker.State(mt.GetGauge().GetValue()).String()
			}
		}
	}
	return "missing"
}

func TestUnknownServiceRecordedAsOther(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
	m.BreakerHook()(breaker.StateChange{Name: "user-supplied", From: breaker.StateClosed,
		To: breaker.StateOpen})
	n, err := testutil.GatherAndCount(reg, "circuit_breaker_state")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "circuit_breaker_state series (openai and other)")
	assert.Equal(t, 2.0, testutil.ToFloat64(metrics.BreakerStateForTest(m, "other")))
}

func TestRoundTripperCountsRequestsAndErrors(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/bad":
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: m.RoundTripper("openai", transport)}

	get := func(ctx context.Context, path string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}
	for range 3 {
		get(t.Context(), "/ok")
	}
	get(t.Context(), "/bad")  // a client error is the caller's fault
	get(t.Context(), "/fail") // error
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	get(cancelled, "/ok") // the caller gave up: counted, not an error

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	client.Transport = m.RoundTripper("openai", transport)
	req, err := http.NewRequest(http.MethodGet, closed.URL, nil)
	require.NoError(t, err)
	_, err = client.Do(req)
	require.Error(t, err, "request to a closed server")

	want := `
# HELP http_errors_total HTTP requests to a service that failed: a transport error or a 5xx response.
# TYPE http_errors_total counter
http_errors_total{service="openai"} 2
http_errors_total{service="other"} 0
# HELP http_requests_total HTTP requests sent to a service, counted when the response headers arrive or the request fails.
# TYPE http_requests_total counter
http_requests_total{service="openai"} 7
http_requests_total{service="other"} 0
`
	assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"http_errors_total", "http_requests_total"))
}

func TestNewRejectsInvalidNamespace(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, ns := range []string{"cowork-ai", "9lives", "space name"} {
		_, err := metrics.New(reg, metrics.Options{Namespace: ns})
		if assert.Error(t, err, "Namespace %q", ns) {
			assert.Contains(t, err.Error(), ns)
		}
	}
	_, err := metrics.New(reg, metrics.Options{Namespace: "cowork:assistant_2"})
	assert.NoError(t, err)
}

func TestRoundTripperClosesIdleConnections(t *testing.T) {
	m, _ := newMetrics(t, metrics.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: m.RoundTripper("openai", transport)}

	// get sends a request and reports whether it reused a connection.
	get := func() bool {
		var reused bool
		trace := &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		}
		ctx := httptrace.WithClientTrace(t.Context(), trace)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return reused
	}
	get()
	client.CloseIdleConnections()
	assert.False(t, get(), "request after CloseIdleConnections reused a connection")
}

// emptyTransport breaks the http.RoundTripper contract by returning
// neither a response nor an error.
type emptyTransport struct{}

func (emptyTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, nil }

func TestRoundTripperCountsEmptyResultAsError(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{Services: []string{"openai"}})
	client := &http.Client{Transport: m.RoundTripper("openai", emptyTransport{})}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1/", nil)
	require.NoError(t, err)
	_, err = client.Do(req)
	require.Error(t, err, "http.Client rejects a nil response without an error")
	assert.Equal(t, 1.0, value(t, reg, "http_requests_total", "service", "openai"), "requests")
	assert.Equal(t, 1.0, value(t, reg, "http_errors_total", "service", "openai"), "errors")
}

func TestInvalidUTF8NameDoesNotPanic(t *testing.T) {
	m, reg := newMetrics(t, metrics.Options{})
	b, err := breaker.New("stt-\xff", breaker.Config{
		ConsecutiveFailures: 1,
		OnStateChange:       m.BreakerHook(),
	})
	require.NoError(t, err)
	require.NotPanics(t, func() {
		_ = b.Execute(t.Context(), func(context.Context) error { return errors.New("503") })
	}, "a transition of a breaker whose name is not UTF-8")
	assert.Equal(t, 2.0, value(t, reg, "circuit_breaker_state", "service", "stt-\uFFFD"),
		"state recorded under the name with U+FFFD")
	require.NotPanics(t, func() { m.RoundTripper("stt-\xff", nil) }, "RoundTripper")

	_, err = metrics.New(prometheus.NewRegistry(), metrics.Options{Services: []string{"a\xff"}})
	assert.ErrorContains(t, err, "Services")
}

func TestWatchedOtherExportsWorstState(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Services: []string{"openai"}})
	require.NoError(t, err)
	var breakers []*breaker.Breaker
	for _, name := range []string{"whisper", "deepgram"} {
		b, err := breaker.New(name, breaker.Config{
			ConsecutiveFailures: 1,
			OnStateChange:       m.BreakerHook(),
		})
		require.NoError(t, err)
		breakers = append(breakers, b)
	}
	set, err := breaker.NewSet(breakers...)
	require.NoError(t, err)
	m.WatchBreakers(set)

	_ = breakers[0].Execute(t.Context(), func(context.Context) error { return errors.New("503") })
	assert.Equal(t, "open", scrapeState(t, reg, "other"),
		"state of other while one of its two breakers is open")
}

func TestNewUnregistersAfterConflict(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	// The same name and help as the package's own counter, because a
	// registry keeps the help of a name after Unregister.
	conflicting := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "plugin_kills_total",
		Help: "Plugin processes killed with SIGKILL after SIGTERM did not stop them.",
	})
	require.NoError(t, reg.Register(conflicting))
	_, err := metrics.New(reg, metrics.Options{})
	require.ErrorContains(t, err, "register collector")

	// The collectors registered before the conflict were removed, so a
	// second New meets only the same conflict.
	require.True(t, reg.Unregister(conflicting))
	_, err = metrics.New(reg, metrics.Options{})
	assert.NoError(t, err, "New after the conflicting collector is gone")
}
