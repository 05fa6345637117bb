package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

// startHelper loads a plugin whose entry point runs the test binary in
// mode and starts it.
func startHelper(t *testing.T, l *plugin.Loader, mode string) *plugin.Process {
	t.Helper()
	dir := writePlugin(t, testKey(1), newManifest("helper", "1.0.0"), mode)
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	pr, err := p.Start(context.Background())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { pr.Close() })
	return pr
}

// gone reports whether pid no longer runs. A zombie counts as gone: it
// runs no code and holds no files.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	_, rest, _ := bytes.Cut(stat, []byte(") "))
	return len(rest) > 0 && (rest[0] == 'Z' || rest[0] == 'X')
}

// waitGone polls until pid is gone. The kernel finishes an exit after
// the pipes it held are closed, so a killed process can still be in its
// last steps of exiting when Close returns.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCallEcho(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "echo")
	for i := range 3 {
		var resp map[string]int
		if err := pr.Call(context.Background(), map[string]int{"n": i}, &resp); err != nil {
			t.Fatalf("Call %d: %v", i, err)
		}
		if resp["n"] != i {
			t.Errorf("Call %d replied %v, want n=%d", i, resp, i)
		}
	}
	if err := pr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := pr.Call(context.Background(), 1, nil); !errors.Is(err, plugin.ErrClosed) {
		t.Errorf("Call after Close: err = %v, want ErrClosed", err)
	}
	runs := rec.runEvents()
	if len(runs) != 1 || runs[0].Outcome != plugin.OutcomeOK || runs[0].Plugin != "helper" {
		t.Errorf("run events = %+v, want one ok run of helper", runs)
	}
}

func TestCallCrash(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "crash")
	err := pr.Call(context.Background(), "hello", nil)
	if !errors.Is(err, plugin.ErrCrashed) {
		t.Fatalf("Call: err = %v, want ErrCrashed", err)
	}
	var runErr *plugin.RunError
	if !errors.As(err, &runErr) || runErr.ExitCode != 3 || runErr.Code() != "ERR-PluginCrashed" {
		t.Errorf("err = %#v, want a *RunError with exit code 3 and ERR-PluginCrashed", err)
	}
	if !bytes.Contains(pr.Stderr(), []byte("crashing on purpose")) {
		t.Errorf("Stderr() = %q, want the helper's message", pr.Stderr())
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeCrashed {
		t.Errorf("run events = %+v, want one crashed run", runs)
	}
	// The host keeps working: another process of the same kind starts.
	if err := startHelper(t, l, "echo").Call(context.Background(), 1, nil); err != nil {
		t.Errorf("Call after a crash of another process: %v", err)
	}
}

func TestCallMalformedReply(t *testing.T) {
	l, _ := newLoader(t, nil)
	pr := startHelper(t, l, "bad-json")
	err := pr.Call(context.Background(), "hello", new(any))
	if !errors.Is(err, plugin.ErrMalformedReply) {
		t.Fatalf("Call: err = %v, want ErrMalformedReply", err)
	}
	var runErr *plugin.RunError
	if !errors.As(err, &runErr) || runErr.Code() != "ERR-PluginProtocol" {
		t.Errorf("err = %v, want a *RunError with ERR-PluginProtocol", err)
	}
}

func TestUnrequestedOutputStops(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "chatty")
	// Depending on timing the call may read one unrequested line as its
	// reply, but the process writes more lines than any call can read.
	pr.Call(context.Background(), "hello", nil)
	select {
	case <-pr.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("process that writes unrequested output was not stopped")
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeMalformed {
		t.Errorf("run events = %+v, want one malformed run", runs)
	}
	err := pr.Call(context.Background(), "again", nil)
	if !errors.Is(err, plugin.ErrMalformedReply) {
		t.Errorf("Call after the violation: err = %v, want ErrMalformedReply", err)
	}
}

func TestTimeoutKillsIgnoringGroup(t *testing.T) {
	l, rec := newLoader(t, nil)
	pr := startHelper(t, l, "ignore-term")
	var pids map[string]int
	if err := pr.Call(context.Background(), "pids", &pids); err != nil {
		t.Fatalf("Call: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := pr.Call(ctx, "never answered", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Call: err = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed < testGrace {
		t.Errorf("Call returned after %v, before the %v grace period", elapsed, testGrace)
	}
	waitGone(t, pids["pid"])
	waitGone(t, pids["child"])
	if err := syscall.Kill(-pids["pid"], 0); !errors.Is(err, syscall.ESRCH) {
		// A zombie of the child may briefly remain in the group until
		// init reaps it, which waitGone accepts.
		t.Logf("kill(-pgid, 0) = %v", err)
	}
	runs := rec.runEvents()
	if len(runs) != 1 || runs[0].Outcome != plugin.OutcomeTimeout || !runs[0].Killed {
		t.Errorf("run events = %+v, want one timeout run that needed SIGKILL", runs)
	}
}

func TestCancelStopsProcess(t *testing.T) {
	l, rec := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("helper", "1.0.0"), "echo")
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, err := p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-pr.Done()
	err = pr.Call(context.Background(), 1, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Call after cancel: err = %v, want context.Canceled", err)
	}
	waitGone(t, pr.Pid())
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeCanceled {
		t.Errorf("run events = %+v, want one canceled run", runs)
	}
}

func TestGrandchildHoldingStdout(t *testing.T) {
	l, _ := newLoader(t, func(c *plugin.Config) { c.Grace = 10 * time.Second })
	pr := startHelper(t, l, "grandchild")
	var pids map[string]int
	if err := pr.Call(context.Background(), "pids", &pids); err != nil {
		t.Fatalf("Call: %v", err)
	}
	start := time.Now()
	select {
	case <-pr.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("process not done 5s after its leader exited: a grandchild holds stdout")
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Done took %v, want well under the 10s grace period", elapsed)
	}
	if err := pr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	waitGone(t, pids["child"])
}

func TestEnvAllowlist(t *testing.T) {
	t.Setenv("PLUGIN_TEST_SECRET", "hunter2")
	t.Setenv("PLUGIN_TEST_VISIBLE", "yes")
	l, _ := newLoader(t, func(c *plugin.Config) { c.Env = []string{"PATH", "PLUGIN_TEST_VISIBLE", "UNSET_VAR"} })
	pr := startHelper(t, l, "env")
	var env []string
	if err := pr.Call(context.Background(), "env", &env); err != nil {
		t.Fatalf("Call: %v", err)
	}
	var names []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{"HOME", "PATH", "PLUGIN_TEST_VISIBLE", "PWD", "TMPDIR"}
	if !slices.Equal(names, want) {
		t.Errorf("plugin environment names = %v, want %v", names, want)
	}
	if slices.Contains(env, "PLUGIN_TEST_SECRET=hunter2") {
		t.Error("plugin received a variable that is not allowlisted")
	}
}

func TestStdoutFloodBounded(t *testing.T) {
	l, rec := newLoader(t, func(c *plugin.Config) { c.MaxReplyBytes = 64 << 10 })
	pr := startHelper(t, l, "flood-stdout")
	err := pr.Call(context.Background(), "go", nil)
	if !errors.Is(err, plugin.ErrMalformedReply) {
		t.Fatalf("Call: err = %v, want ErrMalformedReply", err)
	}
	if !strings.Contains(err.Error(), "longer than 65536 bytes") {
		t.Errorf("err = %v, want it to name the limit", err)
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeMalformed {
		t.Errorf("run events = %+v, want one malformed run", runs)
	}
}

func TestStderrFloodBounded(t *testing.T) {
	const max = 1000
	l, _ := newLoader(t, func(c *plugin.Config) { c.MaxStderrBytes = max })
	pr := startHelper(t, l, "flood-stderr")
	if err := pr.Call(context.Background(), "go", nil); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if err := pr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := pr.Stderr()
	if len(got) != max {
		t.Errorf("len(Stderr()) = %d after 4 MiB of output, want %d", len(got), max)
	}
	if !bytes.HasSuffix(got, []byte("eeeEND")) {
		t.Errorf("Stderr() ends with %q, want the last bytes written", got[max-10:])
	}
}

func TestLimitsApplied(t *testing.T) {
	l, _ := newLoader(t, func(c *plugin.Config) {
		c.Limits.CPUTime = 1500 * time.Millisecond
		c.Limits.OpenFiles = 64
	})
	pr := startHelper(t, l, "limits")
	var got map[string]uint64
	if err := pr.Call(context.Background(), "limits", &got); err != nil {
		t.Fatalf("Call: %v", err)
	}
	want := map[string]uint64{"cpu": 2, "nofile": 64, "core": 0}
	if as := int64(testAddressSpace); as > 0 {
		want["as"] = uint64(as)
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("plugin rlimit %s = %d, want %d", name, got[name], v)
		}
	}
}

func TestMissingDependenciesListed(t *testing.T) {
	t.Setenv("PLUGIN_TEST_UNSET", "")
	l, rec := newLoader(t, func(c *plugin.Config) { c.Env = []string{"PATH", "PLUGIN_TEST_UNSET"} })
	m := newManifest("helper", "1.0.0")
	m.Requires = plugin.Requirements{
		Executables: []string{"sh", "no-such-tool-for-plugin-tests"},
		Env:         []string{"PLUGIN_TEST_UNSET", "PLUGIN_TEST_NOT_ALLOWED"},
		Platforms:   []string{"plan9/mips"},
	}
	dir := writePlugin(t, testKey(1), m, "echo")
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	_, err = p.Start(context.Background())
	if !errors.Is(err, plugin.ErrMissingDependency) {
		t.Fatalf("Start: err = %v, want ErrMissingDependency", err)
	}
	var dep *plugin.MissingDependencyError
	if !errors.As(err, &dep) || dep.Code() != "ERR-MissingDependency" {
		t.Fatalf("err = %T, want *MissingDependencyError with ERR-MissingDependency", err)
	}

	var got []string
	for _, d := range dep.Missing {
		got = append(got, d.Kind.String()+":"+d.Name)
		if d.Hint == "" {
			t.Errorf("dependency %s %q has no hint", d.Kind, d.Name)
		}
	}
	want := []string{
		"platform:plan9/mips",
		"executable:no-such-tool-for-plugin-tests",
		"env:PLUGIN_TEST_UNSET",
		"env:PLUGIN_TEST_NOT_ALLOWED",
	}
	if !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	if !strings.Contains(dep.Missing[3].Hint, "allowlist") {
		t.Errorf("hint for a variable that is not allowlisted = %q, want it to name the allowlist", dep.Missing[3].Hint)
	}
	if hint := dep.Missing[1].Hint; hint != "install no-such-tool-for-plugin-tests in a directory on the plugin's PATH" {
		t.Errorf("hint for a missing executable = %q, want it to name the executable and PATH", hint)
	}
	if path := os.Getenv("PATH"); path != "" && strings.Contains(err.Error(), path) {
		t.Errorf("error %q contains the value of PATH", err)
	}
	if runs := rec.runEvents(); len(runs) != 1 || runs[0].Outcome != plugin.OutcomeStartFailed {
		t.Errorf("run events = %+v, want one start_failed run", runs)
	}
}

func TestMissingInterpreter(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "bin/run", "#!/no/such/interpreter\n", 0o755)
	if err := plugin.SignDir(dir, newManifest("helper", "1.0.0"), testKey(1)); err != nil {
		t.Fatal(err)
	}
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Start(context.Background())
	var dep *plugin.MissingDependencyError
	if !errors.As(err, &dep) || len(dep.Missing) != 1 || dep.Missing[0].Kind != plugin.DependencyInterpreter {
		t.Fatalf("Start: err = %v, want one missing interpreter", err)
	}
	if dep.Missing[0].Name != "/no/such/interpreter" {
		t.Errorf("missing interpreter = %q, want /no/such/interpreter", dep.Missing[0].Name)
	}
}

func TestStartFailureIsDependencyError(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := t.TempDir()
	// Neither an ELF binary nor a script: execve fails with ENOEXEC, as
	// it does for a binary built for another architecture.
	writeFile(t, dir, "bin/run", "\x00\x01\x02 not a program", 0o755)
	if err := plugin.SignDir(dir, newManifest("helper", "1.0.0"), testKey(1)); err != nil {
		t.Fatal(err)
	}
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Start(context.Background())
	if !errors.Is(err, plugin.ErrMissingDependency) || !errors.Is(err, syscall.ENOEXEC) {
		t.Fatalf("Start: err = %v, want ErrMissingDependency wrapping ENOEXEC", err)
	}
}

func TestSwapAfterVerification(t *testing.T) {
	l, _ := newLoader(t, nil)
	dir := writePlugin(t, testKey(1), newManifest("helper", "1.0.0"), "echo")
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// An attacker replaces the entry point after the check.
	writeFile(t, dir, "bin/run", helperScript(t, "crash"), 0o755)
	pr, err := p.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var resp string
	if err := pr.Call(context.Background(), "still echo", &resp); err != nil || resp != "still echo" {
		t.Errorf("Call = %q, %v; want the verified echo plugin to answer", resp, err)
	}
}

func TestReplyLimitBoundary(t *testing.T) {
	const max = 100
	l, _ := newLoader(t, func(c *plugin.Config) { c.MaxReplyBytes = max })
	pr := startHelper(t, l, "echo")
	// A JSON string of n characters encodes to n+2 bytes.
	exact := strings.Repeat("a", max-2)
	var got string
	if err := pr.Call(context.Background(), exact, &got); err != nil || got != exact {
		t.Fatalf("Call with a %d-byte reply = %v, want success", max, err)
	}
	err := pr.Call(context.Background(), exact+"a", &got)
	if !errors.Is(err, plugin.ErrMalformedReply) {
		t.Errorf("Call with a %d-byte reply: err = %v, want ErrMalformedReply", max+1, err)
	}
}

func TestMissingExecutableEmptyPATH(t *testing.T) {
	l, _ := newLoader(t, func(c *plugin.Config) { c.Env = []string{"LANG"} })
	m := newManifest("helper", "1.0.0")
	m.Requires = plugin.Requirements{Executables: []string{"sh"}}
	dir := writePlugin(t, testKey(1), m, "echo")
	p, err := l.Load(context.Background(), dir, plugin.Ref{ID: "helper"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	var dep *plugin.MissingDependencyError
	if err := p.Preflight(); !errors.As(err, &dep) {
		t.Fatalf("Preflight: err = %v, want *MissingDependencyError", err)
	}
	var hint string
	for _, d := range dep.Missing {
		if d.Kind == plugin.DependencyExecutable && d.Name == "sh" {
			hint = d.Hint
		}
	}
	if !strings.Contains(hint, "PATH is empty") || !strings.Contains(hint, "allowlist") {
		t.Errorf("hint for sh without PATH = %q, want it to say PATH is empty and name the allowlist",
			hint)
	}
}
