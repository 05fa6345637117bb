//go:build !linux

package plugin

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

const (
	sigTerm = syscall.Signal(15)
	sigKill = syscall.Signal(9)
)

const openReadFlags = os.O_RDONLY

// errUnsupported is returned by Start on systems other than Linux, where
// the process group and resource limit controls are not implemented.
var errUnsupported = errors.New("plugin: running plugins is supported only on Linux")

func startProcess(func() *exec.Cmd, Limits) (*exec.Cmd, error) { return nil, errUnsupported }

func signalGroup(int, syscall.Signal) {}

func exitStatus(ps *os.ProcessState) (int, string) {
	if ps == nil {
		return -1, ""
	}
	return ps.ExitCode(), ""
}

func (p *Plugin) dependencyError(error) *MissingDependencyError { return nil }
