//go:build !unix

package pluginhost

import (
	"errors"
	"os/exec"
	"syscall"
)

// hasGroups: here a plugin shares the gateway's process group, and Kill
// ends only the plugin process.
const hasGroups = false

// ownGroup does nothing without Unix process groups.
func ownGroup(*exec.Cmd) {}

// killGroup cannot signal a group here.
func killGroup(int, syscall.Signal) error {
	return errors.ErrUnsupported
}
