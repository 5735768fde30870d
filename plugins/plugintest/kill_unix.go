//go:build unix

package plugintest

import "syscall"

// killHard ends the process at once, as a crash or the OOM killer would:
// no deferred code, no flush, no goodbye to the host.
func killHard(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
