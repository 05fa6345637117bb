package metrics

import (
	"context"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// RoundTripper returns a transport that sends each request through next
// (http.DefaultTransport when nil) and counts it in http_requests_total
// for service. A request also counts in http_errors_total when it fails
// with a transport error or receives a 5xx response. A request whose own
// context was cancelled counts as a request but not as an error, because
// the caller gave up. A request that passed its deadline is an error.
func (m *Metrics) RoundTripper(service string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	s := m.services.value(service)
	return &countingTransport{
		next:     next,
		requests: m.httpRequests.WithLabelValues(s),
		errors:   m.httpErrors.WithLabelValues(s),
	}
}

type countingTransport struct {
	next     http.RoundTripper
	requests prometheus.Counter
	errors   prometheus.Counter
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	t.requests.Inc()
	if failed(req, resp, err) {
		t.errors.Inc()
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, if it has such a method, so that http.Client's method of the
// same name still reaches it.
func (t *countingTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func failed(req *http.Request, resp *http.Response, err error) bool {
	if err != nil {
		return !errors.Is(req.Context().Err(), context.Canceled)
	}
	return resp == nil || resp.StatusCode >= 500
}
