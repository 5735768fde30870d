//go:build !unix

package plugintest

import "os"

// killHard ends the process at once, as a crash would.
func killHard(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
