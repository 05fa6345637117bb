package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// within fails the test if fn has not returned after limit. A call that
// hangs is a failure to report, not a test binary to time out.
func within(t *testing.T, limit time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s did not return within %v", what, limit)
	}
}

// TestQueuedCallHonoursContext checks that a Call waiting behind another
// one returns when its own context ends, without sending its request and
// without stopping the process.
func TestQueuedCallHonoursContext(t *testing.T) {
	l, _ := newLoader(t, nil)
	pr := startHelper(t, l, "hang")
	first := make(chan error, 1)
	go func() { first <- pr.Call(context.Background(), "never answered", nil) }()
	// The plugin copies each request it reads to standard error.
	deadline := time.Now().Add(5 * time.Second)
	for !bytes.Contains(pr.Stderr(), []byte("never answered")) {
		if time.Now().After(deadline) {
			t.Fatal("the first request did not reach the plugin")
		}
		time.Sleep(5 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var err error
	within(t, 2*time.Second, "a queued Call whose context ended", func() {
		err = pr.Call(ctx, "queued", nil)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("queued Call: err = %v, want context.DeadlineExceeded", err)
	}
	select {
	case <-pr.Done():
		t.Error("the process was stopped because a queued Call gave up")
	default:
	}
	pr.Close()
	if err := <-first; !errors.Is(err, plugin.ErrClosed) {
		t.Errorf("first Call after Close: err = %v, want ErrClosed", err)
	}
}
