package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The conformance suite runs the same edge scenarios against this module and
// its peers. Each library is adapted once, in retryLibs and breakerLibs. Each
// scenario is written once and measures the library from the outside, in the
// fake time of a testing/synctest bubble, so no library needs a clock hook.
//
// A peer that fails a scenario is a row in the printed table. This module
// failing a scenario fails the test.

// ours names this module in the tables.
const ours = "resilience"

// verdict is the outcome of one scenario for one library.
type verdict struct {
	pass bool
	note string // why it failed, or a caveat on a pass
}

func passed(note string) verdict             { return verdict{pass: true, note: note} }
func failed(format string, a ...any) verdict { return verdict{note: fmt.Sprintf(format, a...)} }

// retrySetup is the schedule a scenario requests from every retry library. Each
// adapter maps it onto the library's own settings as documented.
type retrySetup struct {
	Base, Max time.Duration // exponential from Base, doubling, capped at Max
	Jitter    bool          // the library's full jitter, or its nearest kind
	Attempts  int           // calls in all, the first included
	MaxHint   time.Duration // the largest server-requested delay to wait for
}

// retryCall runs one retrying call of op under ctx.
type retryCall func(ctx context.Context, op func(context.Context) error) error

// retryLib adapts one retry library. Prepare builds the library's reusable
// policy object once, and the returned call reuses it on every invocation,
// as a user who shares one policy between goroutines would.
type retryLib struct {
	Name    string
	Prepare func(s retrySetup) retryCall
}

// hintError is an operation error that carries a server-requested delay, as
// an HTTP 429 with Retry-After does.
type hintError struct{ delay time.Duration }

func (e *hintError) Error() string             { return fmt.Sprintf("rate limited, retry after %v", e.delay) }
func (e *hintError) RetryAfter() time.Duration { return e.delay }

// hintOf returns the server-requested delay carried by err, if any.
func hintOf(err error) (time.Duration, bool) {
	var h *hintError
	if errors.As(err, &h) {
		return h.delay, true
	}
	return 0, false
}

var errOp = errors.New("operation failed")

// callTimes runs call with an op that always fails and returns the fake
// times at which op ran, relative to the start.
func callTimes(call retryCall, ctx context.Context) ([]time.Duration, error) {
	start := time.Now()
	var at []time.Duration
	err := call(ctx, func(context.Context) error {
		at = append(at, time.Since(start))
		return errOp
	})
	return at, err
}

// gaps returns the waits between consecutive calls.
func gaps(at []time.Duration) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i]-at[i-1])
	}
	return out
}

// retryScenario is one edge case, run inside a synctest bubble.
type retryScenario struct {
	Name string
	Run  func(t *testing.T, lib retryLib) verdict
}

var retryScenarios = []retryScenario{
	{"delay at attempt 200 within the cap", scenarioHighAttempt},
	{"jitter under the cap and spread at it", scenarioJitterAtCap},
	{"no sleep past the context deadline", scenarioDeadline},
	{"last error kept when the context ends", scenarioLastError},
	{"zero calls with a dead context", scenarioDeadContext},
	{"Retry-After honoured and capped", scenarioRetryAfter},
	{"one policy shared by 100 goroutines", scenarioShared},
}

func scenarioHighAttempt(t *testing.T, lib retryLib) verdict {
	call := lib.Prepare(retrySetup{Base: time.Second, Max: 32 * time.Second, Attempts: 200})
	at, _ := callTimes(call, context.Background())
	waits := gaps(at)
	if len(waits) != 199 {
		return failed("made %d calls, want 200", len(at))
	}
	for i, d := range waits {
		want := min(time.Second<<min(i, 5), 32*time.Second)
		if d != want {
			return failed("wait before call %d = %v, want %v", i+2, d, want)
		}
	}
	return passed("")
}

func scenarioJitterAtCap(t *testing.T, lib retryLib) verdict {
	const limit = 4 * time.Second
	call := lib.Prepare(retrySetup{Base: time.Second, Max: limit, Jitter: true, Attempts: 60})
	at, _ := callTimes(call, context.Background())
	waits := gaps(at)
	if len(waits) < 50 {
		return failed("made %d calls, want 60", len(at))
	}
	atCap := waits[10:] // 1 s doubling has long reached 4 s here
	seen := map[time.Duration]bool{}
	for _, d := range atCap {
		if d > limit {
			return failed("waited %v, above the %v cap", d, limit)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		return failed("%d distinct waits at the cap: clients retry in lockstep", len(seen))
	}
	return passed("")
}

func scenarioDeadline(t *testing.T, lib retryLib) verdict {
	call := lib.Prepare(retrySetup{Base: time.Second, Max: time.Second, Attempts: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	callTimes(call, ctx)
	if took := time.Since(start); took > 100*time.Millisecond {
		return failed("returned after %v, past the 100ms deadline", took)
	}
	return passed("")
}

func scenarioLastError(t *testing.T, lib retryLib) verdict {
	call := lib.Prepare(retrySetup{Base: time.Second, Max: time.Second, Attempts: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := callTimes(call, ctx)
	switch {
	case err == nil:
		return failed("returned nil")
	case !errors.Is(err, errOp):
		return failed("error %q lost the operation's error", err)
	case !errors.Is(err, context.DeadlineExceeded):
		return failed("error %q hides that the deadline passed", err)
	}
	return passed("")
}

func scenarioDeadContext(t *testing.T, lib retryLib) verdict {
	call := lib.Prepare(retrySetup{Base: time.Second, Max: time.Second, Attempts: 5})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	at, _ := callTimes(call, ctx)
	if len(at) != 0 {
		return failed("ran the operation %d times", len(at))
	}
	return passed("")
}

func scenarioRetryAfter(t *testing.T, lib retryLib) verdict {
	setup := retrySetup{Base: 10 * time.Millisecond, Max: time.Second, Attempts: 3, MaxHint: 10 * time.Second}

	// A 3 s request within the 10 s maximum is a floor for the next wait.
	call := lib.Prepare(setup)
	start := time.Now()
	var second time.Duration
	n := 0
	call(context.Background(), func(context.Context) error {
		n++
		if n == 1 {
			return &hintError{3 * time.Second}
		}
		second = time.Since(start)
		return nil
	})
	if second < 3*time.Second {
		return failed("retried after %v though the server asked for 3s", second)
	}

	// A one-hour request above the maximum must not be waited out.
	call = lib.Prepare(setup)
	start = time.Now()
	call(context.Background(), func(context.Context) error { return &hintError{time.Hour} })
	if took := time.Since(start); took >= time.Hour {
		return failed("waited %v for a 1h request above the 10s maximum", took)
	}
	return passed("")
}

func scenarioShared(t *testing.T, lib retryLib) verdict {
	if v, ok := sharedInChild(t, lib); ok {
		return v
	}
	var v verdict
	synctest.Test(t, func(t *testing.T) { v = sharedSchedule(lib) })
	return v
}

// sharedSchedule runs 100 concurrent calls through one prepared policy and
// checks that each call walks its own schedule: 1 s, then 2 s.
func sharedSchedule(lib retryLib) verdict {
	call := lib.Prepare(retrySetup{Base: time.Second, Max: time.Minute, Attempts: 3})
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			at, _ := callTimes(call, context.Background())
			if w := gaps(at); len(w) != 2 || w[0] != time.Second || w[1] != 2*time.Second {
				mu.Lock()
				bad = append(bad, fmt.Sprint(w))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		return failed("%d of 100 calls did not wait 1s then 2s (one waited %s)", len(bad), bad[0])
	}
	return passed("")
}

// childEnv selects the library whose shared-policy scenario a re-executed
// test binary runs.
const childEnv = "RESILIENCE_CONFORMANCE_CHILD"

// sharedInChild runs the shared-policy scenario in a re-executed copy of
// this test binary. The race detector reports a data race by ending the
// process, so a race in a peer becomes a row of the table rather than the
// end of the suite. It returns false when the binary was built without
// the race detector, where a child would prove nothing more.
func sharedInChild(t *testing.T, lib retryLib) (verdict, bool) {
	if !raceEnabled {
		return verdict{}, false
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceChild$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+lib.Name, "GORACE=exitcode=66 halt_on_error=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 66:
		return failed("data race reported by -race"), true
	case strings.Contains(string(out), "CHILD PASS"):
		return passed(""), true
	case strings.Contains(string(out), "CHILD FAIL "):
		line := string(out)[strings.Index(string(out), "CHILD FAIL ")+len("CHILD FAIL "):]
		return failed("%s", strings.SplitN(line, "\n", 2)[0]), true
	}
	return failed("child process failed: %v", err), true
}

// TestConformanceChild is the body of the re-executed shared-policy check.
// It does nothing in a normal run.
func TestConformanceChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("runs only as a child of the conformance suite")
	}
	for _, lib := range retryLibs {
		if lib.Name != name {
			continue
		}
		synctest.Test(t, func(t *testing.T) {
			if v := sharedSchedule(lib); v.pass {
				fmt.Println("CHILD PASS")
			} else {
				fmt.Println("CHILD FAIL " + v.note)
			}
		})
	}
}

// breakerHandle is one breaker instance as the scenarios see it.
type breakerHandle struct {
	// Call runs op through the breaker; admitted is false when the breaker
	// rejected the call without running op.
	Call  func(ctx context.Context, op func(context.Context) error) (admitted bool)
	State func() string // "closed", "open" or "half-open"
}

// breakerLib adapts one circuit breaker library. New returns a breaker that
// opens after 5 consecutive failures, stays open for openFor, then admits
// one probe. onChange, when not nil, runs on every state change with the
// handle, so it can call back into the breaker.
type breakerLib struct {
	Name string
	New  func(openFor time.Duration, onChange func(h *breakerHandle)) *breakerHandle
}

type breakerScenario struct {
	Name string
	Run  func(t *testing.T, lib breakerLib) verdict
}

var breakerScenarios = []breakerScenario{
	{"a cancelled call does not trip it", scenarioCancelledCall},
	{"half-open admits only its probe", scenarioHalfOpenProbes},
	{"a hook may call back into it", scenarioReentrantHook},
}

func trip(h *breakerHandle) {
	for range 5 {
		h.Call(context.Background(), func(context.Context) error { return errOp })
	}
}

func scenarioCancelledCall(t *testing.T, lib breakerLib) verdict {
	h := lib.New(time.Minute, nil)
	for range 10 {
		ctx, cancel := context.WithCancel(context.Background())
		h.Call(ctx, func(ctx context.Context) error {
			cancel() // the caller gives up while the call runs
			return ctx.Err()
		})
	}
	if s := h.State(); s != "closed" {
		return failed("10 calls cancelled by their caller left it %s", s)
	}
	return passed("")
}

func scenarioHalfOpenProbes(t *testing.T, lib breakerLib) verdict {
	h := lib.New(time.Minute, nil)
	trip(h)
	time.Sleep(time.Minute + time.Second) // fake time: the open period ends

	release := make(chan struct{})
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			h.Call(context.Background(), func(context.Context) error {
				mu.Lock()
				admitted++
				mu.Unlock()
				<-release
				return nil
			})
		})
	}
	synctest.Wait()
	close(release)
	wg.Wait()
	if admitted != 1 {
		return failed("admitted %d of 100 concurrent calls, want 1 probe", admitted)
	}
	return passed("")
}

// scenarioReentrantHook trips a breaker whose state-change hook reads the
// state. It runs outside the synctest bubble, because a deadlocked peer
// would end the bubble. A stuck call is detected after one real second, and
// its goroutine is left behind.
func scenarioReentrantHook(t *testing.T, lib breakerLib) verdict {
	var calls int
	h := lib.New(time.Minute, func(h *breakerHandle) {
		calls++
		_ = h.State()
	})
	if h == nil {
		return failed("has no state-change hook")
	}
	done := make(chan struct{})
	go func() {
		trip(h)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		return failed("deadlocked when the hook called State")
	}
	if calls == 0 {
		return failed("never called the hook")
	}
	return passed("")
}

// TestConformance runs every scenario against every library and prints the
// table. It fails only when this module fails a scenario.
func TestConformance(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("a child runs only TestConformanceChild")
	}
	table := map[string]map[string]verdict{}
	record := func(scenario, lib string, v verdict) {
		if table[scenario] == nil {
			table[scenario] = map[string]verdict{}
		}
		table[scenario][lib] = v
		if lib == ours && !v.pass {
			t.Errorf("%s: %s: %s", lib, scenario, v.note)
		}
	}
	for _, sc := range retryScenarios {
		for _, lib := range retryLibs {
			var v verdict
			if sc.Name == "one policy shared by 100 goroutines" {
				v = sc.Run(t, lib) // runs its own bubble, maybe in a child
			} else {
				synctest.Test(t, func(t *testing.T) { v = sc.Run(t, lib) })
			}
			record(sc.Name, lib.Name, v)
		}
	}
	for _, sc := range breakerScenarios {
		for _, lib := range breakerLibs {
			var v verdict
			if sc.Name == "a hook may call back into it" {
				v = sc.Run(t, lib)
			} else {
				synctest.Test(t, func(t *testing.T) {
					v = sc.Run(t, lib)
					time.Sleep(time.Hour) // lets a peer's own timers end inside the bubble
				})
			}
			record(sc.Name, lib.Name, v)
		}
	}
	printTable(t, table)
}

// printTable logs the results as a Markdown table, one row per scenario,
// and the notes on failures below it.
func printTable(t *testing.T, table map[string]map[string]verdict) {
	var b strings.Builder
	var notes []string
	section := func(title string, scenarios []string, libs []string) {
		fmt.Fprintf(&b, "\n| %s | %s |\n|---|%s\n", title, strings.Join(libs, " | "),
			strings.Repeat("---|", len(libs)))
		for _, sc := range scenarios {
			fmt.Fprintf(&b, "| %s |", sc)
			for _, lib := range libs {
				v := table[sc][lib]
				mark := "pass"
				if !v.pass {
					mark = "FAIL"
				}
				fmt.Fprintf(&b, " %s |", mark)
				if v.note != "" {
					notes = append(notes, fmt.Sprintf("- %s, %s: %s", lib, sc, v.note))
				}
			}
			b.WriteString("\n")
		}
	}
	var names, scen []string
	for _, l := range retryLibs {
		names = append(names, l.Name)
	}
	for _, s := range retryScenarios {
		scen = append(scen, s.Name)
	}
	section("retry scenario", scen, names)
	names, scen = nil, nil
	for _, l := range breakerLibs {
		names = append(names, l.Name)
	}
	for _, s := range breakerScenarios {
		scen = append(scen, s.Name)
	}
	section("breaker scenario", scen, names)
	sort.Strings(notes)
	b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	t.Log(b.String())
	if path := os.Getenv("CONFORMANCE_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Errorf("writing the table: %v", err)
		}
	}
}
