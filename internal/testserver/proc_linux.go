package testserver

import "syscall"

// SysProcAttr makes the kernel kill a test server when the test process dies
// (panic, timeout, SIGKILL), so no stale server outlives a failed run.
// Pdeathsig fires when the creating OS thread exits, so the harness starts
// the server from a thread it keeps until the server has exited.
//
// The server runs in a process group of its own: a Ctrl-C in the terminal
// (sent to the whole foreground group) reaches its starter alone, which
// stops what uses the server first (passerelle-demo stops the gateway,
// then Prosody), where the server stopped at once under them.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
