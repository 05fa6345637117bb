package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/metrics"
)

// This example wires a breaker and an HTTP client to the collectors, sends
// requests to a provider that keeps failing, and prints what /metrics
// serves for that provider.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Services: []string{"openai"}})
	if err != nil {
		panic(err)
	}
	b, err := breaker.New("openai", breaker.Config{
		ConsecutiveFailures: 2,
		OnStateChange:       m.BreakerHook(),
	})
	if err != nil {
		panic(err)
	}
	set, err := breaker.NewSet(b)
	if err != nil {
		panic(err)
	}
	m.WatchBreakers(set)

	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer provider.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: m.RoundTripper("openai", transport)}

	for range 3 {
		_ = b.Execute(context.Background(), func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.URL, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return fmt.Errorf("openai: %s", resp.Status)
		})
	}

	// Serve the registry as a Prometheus server would scrape it.
	scrape := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(scrape,
		httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := bufio.NewScanner(scrape.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.Contains(line, `service="openai"`) && !strings.HasSuffix(line, " 0") {
			fmt.Println(line)
		}
	}
	// Output:
	// circuit_breaker_state{service="openai"} 2
	// circuit_breaker_transitions_total{from="closed",service="openai",to="open"} 1
	// http_errors_total{service="openai"} 2
	// http_requests_total{service="openai"} 2
}
