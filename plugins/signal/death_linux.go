package signal

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel stop signal-cli when the plugin dies, so
// that a killed plugin leaves no daemon holding the socket and accounts.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
