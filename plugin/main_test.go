package plugin_test

import (
	"bufio"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperArg is the first argument of the test binary when it runs as a
// plugin; the second names the behaviour.
const helperArg = "plugin-test-helper"

func TestMain(m *testing.M) {
	if len(os.Args) >= 3 && os.Args[1] == helperArg {
		os.Exit(runHelper(os.Args[2]))
	}
	goleak.VerifyTestMain(m)
}

// runHelper is the plugin side of the tests.
func runHelper(mode string) int {
	in := bufio.NewScanner(os.Stdin)
	out := os.Stdout
	reply := func(v any) {
		data, _ := json.Marshal(v)
		out.Write(append(data, '\n'))
	}
	switch mode {
	case "echo":
		for in.Scan() {
			out.Write(append(in.Bytes(), '\n'))
		}
	case "chatty":
		for range 3 {
			fmt.Fprintln(out, `"unrequested"`)
		}
		for in.Scan() {
			out.Write(append(in.Bytes(), '\n'))
		}
	case "crash":
		in.Scan()
		fmt.Fprintln(os.Stderr, "helper: crashing on purpose")
		return 3
	case "bad-json":
		in.Scan()
		fmt.Fprintln(out, "this is not json")
		in.Scan()
	case "env":
		in.Scan()
		reply(os.Environ())
		in.Scan()
	case "limits":
		in.Scan()
		reply(currentLimits())
		in.Scan()
	case "ignore-term":
		// The process and its background child ignore SIGTERM, so only
		// SIGKILL ends them. The reply to the first request contains both
		// pids, and later requests get no reply.
		signal.Ignore(syscall.SIGTERM)
		child := spawnHelper("sleep", nil)
		in.Scan()
		reply(map[string]int{"pid": os.Getpid(), "child": child})
		time.Sleep(time.Hour)
	case "grandchild":
		// The child inherits standard output and outlives this process.
		child := spawnHelper("sleep", os.Stdout)
		in.Scan()
		reply(map[string]int{"pid": os.Getpid(), "child": child})
		return 0
	case "sleep":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(time.Hour)
	case "flood-stdout":
		in.Scan()
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := out.Write(chunk); err != nil {
				return 1
			}
		}
	case "flood-stderr":
		in.Scan()
		chunk := []byte(strings.Repeat("e", 32<<10))
		for range 128 {
			os.Stderr.Write(chunk)
		}
		fmt.Fprint(os.Stderr, "END")
		reply(true)
		in.Scan()
	case "hang":
		// Requests are read, so that none blocks, and copied to standard
		// error, but never replied to.
		for in.Scan() {
			os.Stderr.Write(append(in.Bytes(), '\n'))
		}
		time.Sleep(time.Hour)
	case "deaf":
		// Standard input is never read.
		time.Sleep(time.Hour)
	case "close-stdout":
		in.Scan()
		out.Close()
		time.Sleep(time.Hour)
	case "close-stdin":
		in.Scan()
		reply(true)
		os.Stdin.Close()
		time.Sleep(time.Hour)
	case "exit-early":
		in.Scan()
		return 0
	case "fork-many":
		children := make([]int, 16)
		for i := range children {
			children[i] = spawnHelper("sleep", nil)
		}
		in.Scan()
		reply(children)
		time.Sleep(time.Hour)
	case "escape-group":
		// The child starts a session of its own, leaving the process
		// group, and keeps standard output open.
		cmd := exec.Command(os.Args[0], helperArg, "sleep")
		cmd.Stdout = os.Stdout
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return 4
		}
		in.Scan()
		reply(cmd.Process.Pid)
		time.Sleep(time.Hour)
	default:
		fmt.Fprintf(os.Stderr, "helper: unknown mode %q\n", mode)
		return 2
	}
	return 0
}

// spawnHelper starts the test binary in another mode, in this process's
// group, and returns its pid.
func spawnHelper(mode string, stdout *os.File) int {
	cmd := exec.Command(os.Args[0], helperArg, mode)
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(4)
	}
	return cmd.Process.Pid
}

// testKey returns a fixed signing key, so runs are reproducible.
func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}
