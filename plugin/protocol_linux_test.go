package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
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

// TestCallAfterStdoutClosed checks that a Call does not wait forever on
// a process that closed its standard output but keeps running.
func TestCallAfterStdoutClosed(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "close-stdout")
	var err error
	within(t, 5*time.Second, "Call to a process without standard output", func() {
		err = pr.Call(context.Background(), "hello", nil)
	})
	if !errors.Is(err, plugin.ErrMalformedReply) {
		t.Errorf("Call: err = %v, want ErrMalformedReply", err)
	}
	waitGone(t, pr.Pid())
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeMalformed {
		t.Errorf("run events = %+v, want one malformed run", runs)
	}
}

// TestCallAfterStdinClosed checks that a process that closed its
// standard input but keeps running is stopped as a protocol violation,
// not reported as killed by a signal the host did not send.
func TestCallAfterStdinClosed(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "close-stdin")
	if err := pr.Call(context.Background(), "first", nil); err != nil {
		t.Fatalf("first Call: %v", err)
	}
	var err error
	within(t, 5*time.Second, "Call to a process without standard input", func() {
		// The request is larger than the pipe buffer, so the write fails
		// however the process and the call are scheduled.
		err = pr.Call(context.Background(), strings.Repeat("x", 256<<10), nil)
	})
	if !errors.Is(err, plugin.ErrMalformedReply) {
		t.Errorf("Call: err = %v, want ErrMalformedReply", err)
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeMalformed {
		t.Errorf("run events = %+v, want one malformed run", runs)
	}
}

// TestExitBeforeReplyIsCrash checks that a process that exits with status
// 0 while a Call waits for its reply is reported as crashed, by the Call,
// by Close and by the run event alike.
func TestExitBeforeReplyIsCrash(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "exit-early")
	err := pr.Call(context.Background(), "hello", nil)
	if !errors.Is(err, plugin.ErrCrashed) {
		t.Errorf("Call: err = %v, want ErrCrashed", err)
	}
	if err := pr.Close(); !errors.Is(err, plugin.ErrCrashed) {
		t.Errorf("Close: err = %v, want ErrCrashed", err)
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeCrashed || runs[0].ExitCode != 0 {
		t.Errorf("run events = %+v, want one crashed run with exit code 0", runs)
	}
}

// TestCleanExitAfterReplyIsOK checks the other side of the line: a
// process that exits with status 0 after replying ended cleanly.
func TestCleanExitAfterReplyIsOK(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "env")
	if err := pr.Call(context.Background(), "env", nil); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if err := pr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeOK {
		t.Errorf("run events = %+v, want one ok run", runs)
	}
}

// TestDeafPluginLargeRequest checks that a Call blocked writing a request
// larger than the pipe buffer, to a process that never reads, returns at
// its deadline.
func TestDeafPluginLargeRequest(t *testing.T) {
	l, _ := newLoader(t, nil)
	pr := startHelper(t, l, "deaf")
	// The request is four times the 64 KiB Linux pipe buffer, so the call
	// blocks writing it. On a loaded machine the deadline may pass before
	// the call sends anything; it must return all the same.
	req := strings.Repeat("x", 256<<10)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var err error
	within(t, 5*time.Second, "Call blocked writing its request", func() {
		err = pr.Call(ctx, req, nil)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call: err = %v, want context.DeadlineExceeded", err)
	}
	within(t, 5*time.Second, "Close after the deadline", func() { pr.Close() })
	waitGone(t, pr.Pid())
}

// TestManyChildrenGone checks that every child in the process group is
// gone after Close.
func TestManyChildrenGone(t *testing.T) {
	l, _ := newLoader(t, nil)
	pr := startHelper(t, l, "fork-many")
	var children []int
	if err := pr.Call(context.Background(), "children", &children); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if err := pr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, pid := range children {
		waitGone(t, pid)
	}
}

// TestEscapedChildDoesNotHangClose checks the documented limit of the
// group kill: a child that left the group survives it, but Close still
// returns soon after the grace period, its pipes closed.
func TestEscapedChildDoesNotHangClose(t *testing.T) {
	l, _ := newLoader(t, nil)
	pr := startHelper(t, l, "escape-group")
	var child int
	if err := pr.Call(context.Background(), "pid", &child); err != nil {
		t.Fatalf("Call: %v", err)
	}
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	start := time.Now()
	within(t, 5*time.Second, "Close with an escaped child holding stdout", func() { pr.Close() })
	if elapsed := time.Since(start); elapsed > testGrace+2*time.Second {
		t.Errorf("Close took %v, want about the %v grace period", elapsed, testGrace)
	}
}

// TestCloseConcurrentWithCalls runs Close twice and Calls at once; every
// call ends with a reply or ErrClosed.
func TestCloseConcurrentWithCalls(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "echo")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var got int
			err := pr.Call(context.Background(), i, &got)
			if err != nil && !errors.Is(err, plugin.ErrClosed) {
				t.Errorf("Call %d: err = %v, want nil or ErrClosed", i, err)
			}
			if err == nil && got != i {
				t.Errorf("Call %d replied %d", i, got)
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			if err := pr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if runs := rec.runEvents(); len(runs) != 1 {
		t.Errorf("got %d run events, want 1", len(runs))
	}
}

// TestStartRacingCancel cancels the context while Start runs: each Start
// that returns a process reports exactly one run, and the process ends.
func TestStartRacingCancel(t *testing.T) {
	l, rec := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("helper", "1.0.0"), "echo")
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const starts = 5
	for i := range starts {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Duration(i) * time.Millisecond)
			cancel()
		}()
		pr, err := p.Start(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Start %d: err = %v, want nil or context.Canceled", i, err)
			}
			continue
		}
		<-pr.Done()
		if err := pr.Close(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Close %d: err = %v", i, err)
		}
		waitGone(t, pr.Pid())
	}
	for _, ev := range rec.runEvents() {
		if ev.Outcome != plugin.OutcomeCanceled && ev.Outcome != plugin.OutcomeOK {
			t.Errorf("run event outcome %v, want canceled", ev.Outcome)
		}
	}
}

// TestMissingEnvInterpreter checks the program that env runs for a "#!"
// line, the usual way to find python3 or node. A missing one must be a
// missing dependency before launch, not a process that exits with 127.
func TestMissingEnvInterpreter(t *testing.T) {
	for _, line := range []string{
		"#!/usr/bin/env no-such-interpreter-for-plugin-tests",
		"#!/usr/bin/env -S no-such-interpreter-for-plugin-tests -u",
		"#!/usr/bin/env -S LANG=C no-such-interpreter-for-plugin-tests",
	} {
		t.Run(line, func(t *testing.T) {
			l, _ := newLoader(t, nil)
			dir := t.TempDir()
			writeFile(t, dir, "bin/run", line+"\n", 0o755)
			if err := plugin.SignDir(dir, newManifest("helper", "1.0.0"), testKey(1)); err != nil {
				t.Fatal(err)
			}
			p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			pr, err := p.Start(context.Background())
			if err == nil {
				pr.Close()
			}
			var dep *plugin.MissingDependencyError
			if !errors.As(err, &dep) || len(dep.Missing) != 1 {
				t.Fatalf("Start: err = %v, want one missing dependency", err)
			}
			if got := dep.Missing[0]; got.Kind != plugin.DependencyInterpreter || got.Name != "no-such-interpreter-for-plugin-tests" {
				t.Errorf("missing = %s %q, want interpreter no-such-interpreter-for-plugin-tests", got.Kind, got.Name)
			}
		})
	}
	// An interpreter that env finds on the plugin's PATH passes.
	l, _ := newLoader(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "bin/run", "#!/usr/bin/env sh\nexit 0\n", 0o755)
	if err := plugin.SignDir(dir, newManifest("helper", "1.0.0"), testKey(1)); err != nil {
		t.Fatal(err)
	}
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Preflight(); err != nil {
		t.Errorf("Preflight of #!/usr/bin/env sh: %v", err)
	}
}

// TestCallRejectsNonPointerResp checks that a resp that no reply could
// decode into is the caller's error: nothing is sent, the process keeps
// running, and the plugin is not blamed for a malformed reply.
func TestCallRejectsNonPointerResp(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "echo")
	var got int
	for _, resp := range []any{got, (*int)(nil)} {
		err := pr.Call(context.Background(), 1, resp)
		if err == nil || errors.Is(err, plugin.ErrMalformedReply) {
			t.Errorf("Call with resp %T: err = %v, want a usage error", resp, err)
		}
	}
	if err := pr.Call(context.Background(), 7, &got); err != nil || got != 7 {
		t.Errorf("Call after the usage errors = %d, %v; want 7", got, err)
	}
	if err := pr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeOK {
		t.Errorf("run events = %+v, want one ok run", runs)
	}
}
