package prosodytest

import "syscall"

// sysProcAttr makes the kernel kill Prosody when the test process dies
// (panic, timeout, SIGKILL), so no stale server outlives a failed run.
// Pdeathsig fires when the creating OS thread exits; the Go runtime does not
// end threads of goroutines that are not locked to them, so in practice this
// is the process.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
