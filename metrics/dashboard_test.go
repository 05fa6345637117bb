package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cowork-ai/resilience/metrics"
)

type panelQuery struct {
	panel string
	expr  string
}

// dashboardQueries parses dashboard.json and returns the query of every
// panel target.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	data, err := os.ReadFile("dashboard.json")
	require.NoError(t, err)
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(data, &dash), "dashboard.json is not valid JSON")
	require.NotEmpty(t, dash.Title, "dashboard title")
	var qs []panelQuery
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for _, tg := range p.Targets {
			qs = append(qs, panelQuery{panel: p.Title, expr: tg.Expr})
		}
	}
	return qs
}

// recordingRegisterer registers on a registry and keeps each collector.
type recordingRegisterer struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registry.Register(c)
}

// exportedNames returns the name of every metric family New registers,
// whether or not it has series yet.
func exportedNames(t *testing.T) []string {
	t.Helper()
	reg := &recordingRegisterer{Registry: prometheus.NewRegistry()}
	_, err := metrics.New(reg, metrics.Options{})
	require.NoError(t, err)
	descs := make(chan *prometheus.Desc, 64)
	for _, c := range reg.collectors {
		c.Describe(descs)
	}
	close(descs)
	var names []string
	nameRE := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range descs {
		names = append(names, nameRE.FindStringSubmatch(d.String())[1])
	}
	return names
}

var (
	// Label matchers, range selectors, grouping clauses and string
	// literals, none of which contains a metric name.
	promqlNoise = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]|\b(by|without|on|ignoring)\s*\([^)]*\)|"[^"]*"`)
	// An identifier not followed by "(": a metric name or a keyword.
	promqlIdent = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\b\s*\(?`)
	promqlWords = []string{"and", "or", "unless", "bool", "offset", "group_left", "group_right"}
)

// metricNames returns the metric names that expr selects.
func metricNames(expr string) []string {
	var names []string
	for _, m := range promqlIdent.FindAllString(promqlNoise.ReplaceAllString(expr, " "), -1) {
		m = strings.TrimSpace(m)
		if strings.HasSuffix(m, "(") || slices.Contains(promqlWords, m) {
			continue
		}
		names = append(names, m)
	}
	return names
}

func TestDashboardQueriesUseExportedMetrics(t *testing.T) {
	exported := exportedNames(t)
	for _, q := range dashboardQueries(t) {
		names := metricNames(q.expr)
		assert.NotEmpty(t, names, "panel %q: query %q selects no metric", q.panel, q.expr)
		for _, n := range names {
			assert.Contains(t, exported, n, "panel %q: query %q", q.panel, q.expr)
		}
	}
}

func TestDashboardHasRequiredPanels(t *testing.T) {
	var all []string
	for _, q := range dashboardQueries(t) {
		all = append(all, metricNames(q.expr)...)
	}
	for _, want := range []string{
		"http_errors_total",           // error rate
		"retry_attempts_total",        // retries by component
		"circuit_breaker_state",       // breaker state over time
		"websocket_disconnects_total", // WebSocket disconnects
	} {
		assert.Contains(t, all, want, "no panel queries %s", want)
	}
}

func TestAlertRulesUseExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("alerts.yml")
	require.NoError(t, err)
	exported := exportedNames(t)
	used := regexp.MustCompile(`\b[a-z_]+_(total|state)\b`).FindAllString(string(data), -1)
	require.NotEmpty(t, used)
	for _, n := range used {
		assert.Contains(t, exported, n, "alerts.yml uses %s", n)
	}
}

func TestMetricNamesParsing(t *testing.T) {
	got := metricNames(`sum by (service) (rate(http_errors_total{service="a"}[5m]))
/ on (service) sum(increase(http_requests_total[5m])) > 0.05 and up`)
	assert.Equal(t, []string{"http_errors_total", "http_requests_total", "up"}, got)
}
