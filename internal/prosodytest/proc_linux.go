package prosodytest

import "syscall"

// sysProcAttr makes the kernel kill Prosody when the test process dies
// (panic, timeout, SIGKILL), so no stale server outlives a failed run.
// Pdeathsig fires when the creating OS thread exits, so startOnce starts
// Prosody from a thread it keeps until Prosody has exited.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
