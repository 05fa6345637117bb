package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/stt/sttdemo"
	"github.com/cowork-ai/resilience/metrics"
	"github.com/cowork-ai/resilience/retry"
)

// metricsServer serves the collectors of package metrics on /metrics,
// from a registry of its own rather than the global one.
type metricsServer struct {
	m    *metrics.Metrics
	url  string
	srv  *http.Server
	done chan struct{}

	retryHook func(retry.RetryEvent)
}

// startMetrics serves /metrics on addr. Serving errors go to logger.
func startMetrics(addr string, logger *slog.Logger) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Services: []string{sttdemo.Primary, sttdemo.Fallback},
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s := &metricsServer{
		m:         m,
		url:       "http://" + ln.Addr().String() + "/metrics",
		srv:       &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		done:      make(chan struct{}),
		retryHook: m.RetryHook("stt"),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return s, nil
}

// sttRetry counts the speech-to-text client's retries.
func (s *metricsServer) sttRetry(_ string, e retry.RetryEvent) { s.retryHook(e) }

func (s *metricsServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}

// printSnapshot scrapes /metrics over HTTP, as Prometheus would, and
// narrates every series whose value is not zero.
func (s *metricsServer) printSnapshot(ctx context.Context, n *narrate.Narrator) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("scrape %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scrape %s: status %s", s.url, resp.Status)
	}

	var series, shown int
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		series++
		if strings.HasSuffix(line, " 0") {
			continue
		}
		n.Info("metrics", "%s", line)
		shown++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	n.Info("metrics", "%d of %d series at %s are not zero", shown, series, s.url)
	return nil
}
