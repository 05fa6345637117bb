//go:build !linux

package plugin_test

import "errors"

func currentLimits() map[string]uint64 { return nil }

var errNoSpecialFiles = errors.New("special files are created only on Linux in these tests")

func mkfifo(string) error { return errNoSpecialFiles }

func mknodNull(string) error { return errNoSpecialFiles }
