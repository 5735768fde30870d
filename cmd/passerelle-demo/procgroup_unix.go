//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup puts cmd in its own process group: a Ctrl-C or hangup of the
// terminal reaches the demo only, which stops the gateway (and so its
// plugin) in order.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
