package ejabberdtest

import "syscall"

// sysProcAttr makes the kernel kill ejabberd when the test process dies
// (panic, timeout, SIGKILL), so no stale server outlives a failed run.
// Pdeathsig fires when the creating OS thread exits, so startOnce starts
// ejabberd from a thread it keeps until ejabberd has exited.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
