package session_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

// The crash tests re-execute the test binary as a child that writes the
// grant file and dies at a chosen point. The parent then loads the file.
const (
	crashEnv     = "SESSION_TEST_CRASH"      // the file operation to die at, or "loop"
	crashPathEnv = "SESSION_TEST_CRASH_PATH" // the grant file
	crashExit    = 3
)

var (
	crashFirst  = session.Scope{Action: "first"}
	crashSecond = session.Scope{Action: "second"}
)

// crashChild grants crashFirst, then dies with exit status crashExit when
// the write of crashSecond reaches the operation named by crashEnv. With
// "loop" it grants and revokes until killed.
func crashChild() {
	op, path := os.Getenv(crashEnv), os.Getenv(crashPathEnv)
	var armed atomic.Bool
	fault := func(name, _ string) error {
		if armed.Load() && name == op {
			os.Exit(crashExit)
		}
		return nil
	}
	m, err := session.NewForTest(session.Config{Path: path, Key: testKey}, clock.System(), fault)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	m.Grant(ctx, crashFirst, time.Hour)
	if op == "loop" {
		fmt.Println("ready") // the file exists from here on
		for i := 0; ; i++ {
			sc := session.Scope{Action: fmt.Sprintf("action-%d", i)}
			m.Grant(ctx, sc, time.Hour)
			m.Revoke(ctx, sc)
		}
	}
	armed.Store(true)
	m.Grant(ctx, crashSecond, time.Hour)
	fmt.Fprintln(os.Stderr, "the child did not reach", op)
	os.Exit(1)
}

func crashCommand(t *testing.T, op, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+op, crashPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestCrashLeavesOldOrNewContent kills the writer at each step of a file
// write and checks that the file then holds exactly the content from
// before the write or from after it.
func TestCrashLeavesOldOrNewContent(t *testing.T) {
	tests := []struct {
		op         string
		wantSecond bool
	}{
		{"create", false},
		{"write", false},
		{"sync", false},
		{"rename", false},
		{"syncdir", true},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "grants.json")
			err := crashCommand(t, tt.op, path).Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != crashExit {
				t.Fatalf("child exited with %v, want status %d", err, crashExit)
			}

			m := newManager(t, fileConfig(path, nil), clock.System())
			if st := m.Status(); st.Load.Kind != session.StoreLoaded {
				t.Fatalf("Status().Load = %+v, want the file loaded", st.Load)
			}
			checkReason(t, m, crashFirst, session.ReasonGranted)
			want := session.ReasonNotGranted
			if tt.wantSecond {
				want = session.ReasonGranted
			}
			checkReason(t, m, crashSecond, want)
			assertNoTempFiles(t, filepath.Dir(path))
		})
	}
}

// TestKillDuringWritesLeavesValidFile kills a child that writes without
// pause at a random moment, several times.
func TestKillDuringWritesLeavesValidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grants.json")
	for round := range 4 {
		cmd := crashCommand(t, "loop", path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("child did not start writing: %v", err)
		}
		// A random moment within the writes, not a wait for a state.
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		m, err := session.NewForTest(fileConfig(path, nil), clock.System(), nil)
		if err != nil {
			t.Fatal(err)
		}
		st := m.Status()
		if st.Load.Kind != session.StoreLoaded || st.Load.Grants == 0 {
			t.Errorf("round %d: Status().Load = %+v, want the file loaded", round, st.Load)
		}
		m.Close()
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left after loading: %v", matches)
	}
}
