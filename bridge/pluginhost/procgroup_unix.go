//go:build unix

package pluginhost

import (
	"errors"
	"os/exec"
	"syscall"
)

// hasGroups: a plugin runs in a process group of its own, which Kill
// ends with everything the plugin started.
const hasGroups = true

// ownGroup has cmd start in a new process group, numbered by its PID.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends sig to the process group pgid. It refuses the gateway's
// own group (and the special numbers): only a plugin's group is ended.
func killGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 || pgid == syscall.Getpgrp() {
		return errors.New("not a plugin's process group")
	}
	return syscall.Kill(-pgid, sig)
}
