package classify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/internal/classify"
)

type marked bool

func (m marked) Error() string   { return fmt.Sprintf("marked %v", bool(m)) }
func (m marked) Retryable() bool { return bool(m) }

type status int

func (s status) Error() string   { return fmt.Sprintf("HTTP %d", int(s)) }
func (s status) StatusCode() int { return int(s) }

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), true},
		{"EOF", io.ErrUnexpectedEOF, true},
		{"marked not retryable", marked(false), false},
		{"marked retryable", marked(true), true},
		{"marker wins over status", fmt.Errorf("x: %w", errors.Join(marked(false), status(503))), false},
		{"marker wins over cancel", errors.Join(marked(true), context.Canceled), true},
		{"canceled", context.Canceled, false},
		{"wrapped canceled", fmt.Errorf("read: %w", context.Canceled), false},
		{"deadline", context.DeadlineExceeded, false},
		{"wrapped deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), false},
		{"os deadline", os.ErrDeadlineExceeded, true},
		{"status 429", status(429), true},
		{"status 408", status(408), true},
		{"status 503", status(503), true},
		{"status 404", status(404), false},
		{"status 400", fmt.Errorf("call: %w", status(400)), false},
		{"status 501", status(501), false},
	}
	for _, tt := range tests {
		if got := classify.Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestRetryableNetworkErrors classifies real errors from loopback
// connections: timeouts and refused connections are worth retrying even
// though the timeouts also match context.DeadlineExceeded.
func TestRetryableNetworkErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	t.Run("dial timeout", func(t *testing.T) {
		d := net.Dialer{Deadline: time.Now().Add(-time.Second)}
		_, err := d.Dial("tcp", ln.Addr().String())
		if err == nil {
			t.Fatal("Dial with a past deadline succeeded")
		}
		if !classify.Retryable(err) {
			t.Errorf("Retryable(%v) = false, want true", err)
		}
	})

	t.Run("read deadline", func(t *testing.T) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(-time.Second))
		_, err = conn.Read(make([]byte, 1))
		if !classify.Retryable(err) {
			t.Errorf("Retryable(%v) = false, want true", err)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		closed, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := closed.Addr().String()
		closed.Close()
		_, err = net.Dial("tcp", addr)
		if err == nil {
			t.Skip("a closed loopback port accepted a connection")
		}
		if !classify.Retryable(err) {
			t.Errorf("Retryable(%v) = false, want true", err)
		}
	})

	t.Run("http client timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			<-release
		}))
		defer srv.Close()
		defer close(release)
		client := http.Client{Timeout: time.Millisecond}
		_, err := client.Get(srv.URL)
		if err == nil {
			t.Fatal("Get from a server that never answers succeeded")
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("the client timeout no longer matches context.DeadlineExceeded: %v", err)
		}
		if !classify.Retryable(err) {
			t.Errorf("Retryable(%v) = false, want true", err)
		}
	})

	t.Run("request context canceled", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		_, err := http.DefaultClient.Do(req)
		if classify.Retryable(err) {
			t.Errorf("Retryable(%v) = true, want false", err)
		}
	})
}

func TestRetryableStatus(t *testing.T) {
	retryable := map[int]bool{408: true, 429: true, 500: true, 502: true, 503: true, 504: true}
	for code := 100; code < 600; code++ {
		if got := classify.RetryableStatus(code); got != retryable[code] {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, retryable[code])
		}
	}
}
