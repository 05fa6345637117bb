package metrics

import "github.com/prometheus/client_golang/prometheus"

// BreakerStateForTest returns the circuit_breaker_state gauge of service.
func BreakerStateForTest(m *Metrics, service string) prometheus.Collector {
	return m.breakerState.WithLabelValues(service)
}
