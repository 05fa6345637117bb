// Package metrics exports the health of the module's other packages to
// Prometheus. It registers its collectors on a caller-supplied
// [prometheus.Registerer], never the global one, and turns the hook events
// of breaker, retry and the other packages into counters and gauges, so
// that those packages never import Prometheus themselves.
//
// Most callers create one [Metrics] with [New] and pass its hooks to the
// packages they use: [Metrics.BreakerHook] to a breaker's OnStateChange,
// [Metrics.RetryHook] to retry.OnRetry, [Metrics.WebSocketHooks] to a
// reconnecting client, [Metrics.SessionHooks] to a permission manager,
// [Metrics.StrategyHook] to a plan's OnEvent,
// [Metrics.PluginHooks] to a plugin loader, and [Metrics.RoundTripper]
// around an HTTP client's transport. A Metrics is
// safe for concurrent use, and so are its hooks. The Example shows the
// wiring end to end.
//
// # Names
//
// With an empty [Options.Namespace] the series have these names, which the
// rules in alerts.yml and the panels of dashboard.json use:
//
//	http_requests_total{service}                  requests sent, per service
//	http_errors_total{service}                    of which failed
//	retry_attempts_total{component,reason}        retries, per component
//	circuit_breaker_state{service}                0 closed, 1 half-open, 2 open
//	circuit_breaker_transitions_total{service,from,to}
//	websocket_disconnects_total{reason}           connections lost
//	websocket_reconnect_attempts_total            redials after a loss
//	strategy_attempts_total{strategy,outcome}     plan step attempts
//	plan_steps_total{status}                      plan steps, by end status
//	plugin_verifications_total{result,reason}     plugin signature checks
//	plugin_runs_total{outcome}                    plugin processes, by end
//	plugin_kills_total                            plugins killed by SIGKILL
//	permission_decisions_total{result,reason}     permission checks
//	permission_grants_total{kind}                 grants, new or extended
//	permission_grant_ends_total{reason}           grants that ended
//	permission_store_events_total{kind}           grant store changes
//	permission_store_degraded                     1 while grants are in memory only
//
// Every label value comes from a closed set: service names from
// [Options.Services], components and strategies from the wiring code, and
// reasons, outcomes and states from the enumerations of the packages that
// report them. Known series are created at zero when they are wired, so
// that the first increment already shows in rate() and increase().
package metrics

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/breaker"
)

// OtherLabel is the label value recorded for a service name outside
// [Options.Services].
const OtherLabel = "other"

// Options configures [New]. The zero value registers every collector with
// unprefixed names and accepts any service name.
type Options struct {
	// Namespace, when not empty, prefixes every metric name with
	// Namespace and an underscore. It may contain letters, digits,
	// underscores and colons, and must not start with a digit. Empty keeps
	// the names listed in the package documentation, which alerts.yml and
	// dashboard.json expect.
	Namespace string

	// Services is the closed set of service names used as the service
	// label of the http_* and circuit_breaker_* series. Their series are
	// created at zero by New, and names outside the set are recorded as
	// "other". Each name must be valid UTF-8. Nil means the set is open:
	// each name is recorded as given, with invalid UTF-8 replaced by
	// U+FFFD, and its series appear on first use.
	Services []string
}

// Metrics holds the collectors registered by [New] and hands out the hooks
// that feed them. It is safe for concurrent use.
type Metrics struct {
	services labelSet

	httpRequests        *prometheus.CounterVec
	httpErrors          *prometheus.CounterVec
	retryAttempts       *prometheus.CounterVec
	breakerState        *prometheus.GaugeVec
	breakerTransitions  *prometheus.CounterVec
	wsDisconnects       *prometheus.CounterVec
	wsReconnects        prometheus.Counter
	strategyAttempts    *prometheus.CounterVec
	planSteps           *prometheus.CounterVec
	pluginVerifications *prometheus.CounterVec
	pluginRuns          *prometheus.CounterVec
	pluginKills         prometheus.Counter
	permissionDecisions *prometheus.CounterVec
	permissionGrants    *prometheus.CounterVec
	permissionEnds      *prometheus.CounterVec
	permissionStore     *prometheus.CounterVec
	permissionDegraded  prometheus.Gauge

	// breakerSeries maps a service label to its *breakerSeries.
	breakerSeries sync.Map

	// mu guards watched.
	mu      sync.Mutex
	watched []*breaker.Set
}

// New creates the collectors, registers them on reg and creates the known
// series at zero. It returns an error if reg is nil or rejects a
// collector, for example because another one already uses its name. In
// that case it first unregisters the collectors it had registered.
func New(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: Registerer is nil")
	}
	if !validNamespace(opts.Namespace) {
		return nil, fmt.Errorf("metrics: Namespace %q is invalid: use letters, digits, "+
			"underscores and colons, not starting with a digit", opts.Namespace)
	}
	for _, s := range opts.Services {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("metrics: Services has %q, which is not valid UTF-8", s)
		}
	}
	m := &Metrics{services: newLabelSet(opts.Services)}
	m.createCollectors(opts.Namespace)

	collectors := m.collectors()
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register collector: %w", err)
		}
	}
	for _, s := range m.services.values() {
		m.httpRequests.WithLabelValues(s)
		m.httpErrors.WithLabelValues(s)
		m.seriesFor(s)
	}
	return m, nil
}

func (m *Metrics) createCollectors(ns string) {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: name, Help: help,
		}, labels)
	}
	m.httpRequests = counter("http_requests_total",
		"HTTP requests sent to a service, counted when the response headers "+
			"arrive or the request fails.", "service")
	m.httpErrors = counter("http_errors_total",
		"HTTP requests to a service that failed: a transport error or a 5xx "+
			"response.", "service")
	m.retryAttempts = counter("retry_attempts_total",
		"Failed attempts that were retried, by component and reason.",
		"component", "reason")
	m.breakerState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Name: "circuit_breaker_state",
		Help: "State of the circuit breaker of a service: 0 closed, 1 half-open, 2 open.",
	}, []string{"service"})
	m.breakerTransitions = counter("circuit_breaker_transitions_total",
		"State transitions of the circuit breaker of a service.", "service", "from", "to")
	m.wsDisconnects = counter("websocket_disconnects_total",
		"WebSocket connections that ended, by reason.", "reason")
	m.wsReconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "websocket_reconnect_attempts_total",
		Help: "Dial attempts made to restore a WebSocket connection that was lost.",
	})
	m.strategyAttempts = counter("strategy_attempts_total",
		"Attempts of a plan step with one strategy, by outcome.", "strategy", "outcome")
	m.planSteps = counter("plan_steps_total",
		"Plan steps that ended, by status.", "status")
	m.pluginVerifications = counter("plugin_verifications_total",
		"Plugin verifications, by result and rejection reason.", "result", "reason")
	m.pluginRuns = counter("plugin_runs_total",
		"Plugin processes that ended, by outcome.", "outcome")
	m.pluginKills = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "plugin_kills_total",
		Help: "Plugin processes killed with SIGKILL after SIGTERM did not stop them.",
	})
	m.permissionDecisions = counter("permission_decisions_total",
		"Permission checks, by result and reason.", "result", "reason")
	m.permissionGrants = counter("permission_grants_total",
		"Permission grants committed, new or extended.", "kind")
	m.permissionEnds = counter("permission_grant_ends_total",
		"Permission grants that ended, by reason.", "reason")
	m.permissionStore = counter("permission_store_events_total",
		"Changes of the permission grant store, by kind.", "kind")
	m.permissionDegraded = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "permission_store_degraded",
		Help: "1 while the permission grant file cannot be written and grants live in memory only.",
	})
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.httpRequests, m.httpErrors, m.retryAttempts, breakerStateCollector{m},
		m.breakerTransitions, m.wsDisconnects, m.wsReconnects,
		m.strategyAttempts, m.planSteps,
		m.pluginVerifications, m.pluginRuns, m.pluginKills,
		m.permissionDecisions, m.permissionGrants, m.permissionEnds,
		m.permissionStore, m.permissionDegraded,
	}
}

// validNamespace reports whether ns makes metric names that PromQL accepts
// without quoting. Empty is valid.
func validNamespace(ns string) bool {
	for i, r := range ns {
		letter := r == '_' || r == ':' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// labelSet is a closed set of label values, or an open one when nil.
type labelSet map[string]struct{}

func newLabelSet(values []string) labelSet {
	if len(values) == 0 {
		return nil
	}
	s := make(labelSet, len(values))
	for _, v := range values {
		s[v] = struct{}{}
	}
	return s
}

// value returns v if the set contains it or is open, and OtherLabel if not.
// In an open set, bytes that are not UTF-8, which Prometheus rejects in a
// label value, become U+FFFD.
func (s labelSet) value(v string) string {
	if s == nil {
		if utf8.ValidString(v) {
			return v
		}
		return strings.ToValidUTF8(v, "\uFFFD")
	}
	if _, ok := s[v]; ok {
		return v
	}
	return OtherLabel
}

// values returns the members in sorted order, with OtherLabel added to a
// closed set.
func (s labelSet) values() []string {
	if s == nil {
		return nil
	}
	vs := make([]string, 0, len(s)+1)
	for v := range s {
		vs = append(vs, v)
	}
	if _, ok := s[OtherLabel]; !ok {
		vs = append(vs, OtherLabel)
	}
	slices.Sort(vs)
	return vs
}
