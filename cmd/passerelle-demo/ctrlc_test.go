//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTerminalCtrlCStopsGatewayFirst: a Ctrl-C in the terminal goes to
// the whole foreground process group, not to the demo alone. Prosody
// must not be in that group: it stopped at once, under the gateway,
// which was still stopping ("component link down" in its log after the
// stop signal: what it had left to send was lost). The demo stops the
// gateway, then Prosody.
func TestTerminalCtrlCStopsGatewayFirst(t *testing.T) {
	// A shell runs a foreground job in a process group of its own.
	d := startDemoWith(t, func(c *exec.Cmd) { c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} })
	d.waitLine("Press Ctrl-C to stop.")
	if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(true); code != 0 {
		t.Errorf("exit status %d after Ctrl-C, want 0", code)
	}
	d.noLeftovers()
	log, err := os.ReadFile(filepath.Join(d.dir, "passerelle.log"))
	if err != nil {
		t.Fatal(err)
	}
	_, stop, ok := strings.Cut(string(log), "stop signal received")
	if !ok || !strings.Contains(stop, "passerelle stopped") {
		t.Fatalf("the gateway did not stop cleanly; its log:\n%s", log)
	}
	if strings.Contains(stop, "component link down") {
		t.Errorf("Prosody went away while the gateway was stopping; its log after the stop signal:\n%s", stop)
	}
}
