package plugin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"
)

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// openReadFlags open plugin files for reading. O_NONBLOCK keeps a named
// pipe swapped in after the tree check from blocking the open, and the
// check that follows on the open file rejects it.
const openReadFlags = os.O_RDONLY | syscall.O_NONBLOCK

// startProcess starts the command in its own process group with resource
// limits in place before its first instruction. The child requests
// tracing (PTRACE_TRACEME), so the kernel stops it right after exec. The
// limits are then set with prlimit and the child is detached. ptrace
// requires the tracer to be the thread that forked, hence the locked OS
// thread.
//
// Where ptrace is not permitted (some container seccomp profiles), the
// process is started untraced and the limits are set right after exec.
// NOTE: in that fallback the first instructions of the entry point run
// before the limits apply.
func startProcess(newCmd func() *exec.Cmd, lim Limits) (*exec.Cmd, error) {
	cmd, err := startTraced(newCmd(), lim)
	if !errors.Is(err, syscall.EPERM) {
		return cmd, err
	}
	cmd = newCmd()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := applyLimits(cmd.Process.Pid, lim); err != nil {
		killAndReap(cmd)
		return nil, err
	}
	return cmd, nil
}

func startTraced(cmd *exec.Cmd, lim Limits) (*exec.Cmd, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Ptrace: true}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			killAndReap(cmd)
			return nil, fmt.Errorf("wait for exec stop: %w", err)
		}
		break
	}
	if !ws.Stopped() {
		killAndReap(cmd)
		return nil, fmt.Errorf("process did not stop after exec (status %#x)", ws)
	}
	if err := applyLimits(pid, lim); err != nil {
		killAndReap(cmd)
		return nil, err
	}
	if err := syscall.PtraceDetach(pid); err != nil {
		killAndReap(cmd)
		return nil, fmt.Errorf("detach: %w", err)
	}
	return cmd, nil
}

func killAndReap(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
}

// rlimit64 has the layout of struct rlimit64 in linux/resource.h.
type rlimit64 struct{ cur, max uint64 }

func prlimit(pid, resource int, lim rlimit64) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(resource),
		uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// applyLimits sets the limits of process pid. A negative limit is left as
// inherited from the host.
func applyLimits(pid int, lim Limits) error {
	if err := prlimit(pid, syscall.RLIMIT_CORE, rlimit64{0, 0}); err != nil {
		return fmt.Errorf("plugin: set core dump limit: %w", err)
	}
	cpu := lim.CPUTime
	if cpu == 0 {
		cpu = DefaultCPUTime
	}
	if cpu > 0 {
		// RLIMIT_CPU counts whole seconds: SIGXCPU at the soft limit,
		// SIGKILL at the hard one.
		secs := uint64((cpu + 999_999_999) / 1_000_000_000)
		if err := prlimit(pid, syscall.RLIMIT_CPU, rlimit64{secs, secs + 1}); err != nil {
			return fmt.Errorf("plugin: set Limits.CPUTime: %w", err)
		}
	}
	for _, l := range []struct {
		resource int
		value    int64
		def      int64
		name     string
	}{
		{syscall.RLIMIT_AS, lim.AddressSpace, DefaultAddressSpace, "Limits.AddressSpace"},
		{syscall.RLIMIT_NOFILE, lim.OpenFiles, DefaultOpenFiles, "Limits.OpenFiles"},
	} {
		v := l.value
		if v == 0 {
			v = l.def
		}
		if v < 0 {
			continue
		}
		if err := prlimit(pid, l.resource, rlimit64{uint64(v), uint64(v)}); err != nil {
			return fmt.Errorf("plugin: set %s: %w", l.name, err)
		}
	}
	return nil
}

// signalGroup sends sig to every process in group pgid. ESRCH, an empty
// group, is expected once the group has exited.
func signalGroup(pgid int, sig syscall.Signal) {
	syscall.Kill(-pgid, sig)
}

// exitStatus returns the exit code, -1 if a signal ended the process, and
// the signal's name.
func exitStatus(ps *os.ProcessState) (int, string) {
	if ps == nil {
		return -1, ""
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal().String()
	}
	return ps.ExitCode(), ""
}

// dependencyError maps a start failure caused by the host machine to a
// *MissingDependencyError: ENOENT for an entry point that exists means
// its interpreter or dynamic loader is missing, and ENOEXEC means a
// binary format this machine cannot run.
func (p *Plugin) dependencyError(err error) *MissingDependencyError {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	var d Dependency
	switch {
	case errors.Is(err, syscall.ENOENT):
		d = Dependency{
			Kind: DependencyInterpreter, Name: p.manifest.Entry,
			Hint: "the entry point's interpreter or dynamic loader is missing; install the runtime it needs",
		}
	case errors.Is(err, syscall.ENOEXEC):
		d = Dependency{
			Kind: DependencyPlatform, Name: p.manifest.Entry,
			Hint: fmt.Sprintf("the entry point is not an executable for %s; install a build for %s", platform, platform),
		}
	default:
		return nil
	}
	return &MissingDependencyError{Plugin: p.manifest.ID, Missing: []Dependency{d}, Err: err}
}
