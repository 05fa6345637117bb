package plugin_test

import "syscall"

func currentLimits() map[string]uint64 {
	out := map[string]uint64{}
	for name, res := range map[string]int{
		"cpu": syscall.RLIMIT_CPU, "as": syscall.RLIMIT_AS,
		"nofile": syscall.RLIMIT_NOFILE, "core": syscall.RLIMIT_CORE,
	} {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(res, &lim); err == nil {
			out[name] = lim.Cur
		}
	}
	return out
}
