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

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

// mknodNull creates a character device with the numbers of /dev/null.
func mknodNull(path string) error { return syscall.Mknod(path, syscall.S_IFCHR|0o644, 1<<8|3) }
