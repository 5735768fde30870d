package testserver

import "syscall"

// SysProcAttr makes the kernel kill a test server when the test process dies
// (panic, timeout, SIGKILL), so no stale server outlives a failed run.
// Pdeathsig fires when the creating OS thread exits, so the harness starts
// the server from a thread it keeps until the server has exited.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
