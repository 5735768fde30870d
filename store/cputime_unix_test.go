//go:build unix

package store

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the process has used, so a
// benchmark can report CPU per operation besides wall time: on a shared
// machine the wall time of fsyncs and waits swamps the work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
