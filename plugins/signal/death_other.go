//go:build !linux

package signal

import "os/exec"

// setDeathSignal: only Linux stops a child when its parent dies.
func setDeathSignal(*exec.Cmd) {}
