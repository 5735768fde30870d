package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/syncbuf"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestMain runs main instead of the tests when a test starts this binary
// as the gateway (PASSERELLE_TEST_MAIN=1).
func TestMain(m *testing.M) {
	if os.Getenv("PASSERELLE_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// TestSecondSignalStopsAtOnce: a stop that hangs (here a plugin whose
// child, in a session of its own that the stop's kill of the plugin's
// process group does not reach, keeps its output open, which go-plugin
// waits for, some seconds) gives way to a second SIGTERM or Ctrl-C: the
// gateway says so and exits, instead of needing kill -9.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	plugin := filepath.Join(dir, "hang-plugin")
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid")
	}
	// The echo plugin, beside a child out of its process group that
	// holds its stdout open.
	echo := plugintest.BuildBinary(t, "passerelle.im/passerelle/cmd/passerelle-echo")
	script := fmt.Sprintf("#!/bin/sh\n%s sleep 60 &\necho $! >> %s\necho $$ >> %s\nexec %s\n", setsid, pids, pids, echo)
	if err := os.WriteFile(plugin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		raw, _ := os.ReadFile(pids)
		for _, f := range strings.Fields(string(raw)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	cfg := filepath.Join(dir, "passerelle.toml")
	if err := os.WriteFile(cfg, []byte(`
[xmpp]
server = "127.0.0.1:1"
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "x"
plugin = "./hang-plugin"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	cmd := exec.Command(os.Args[0], "run", "-c", cfg)
	cmd.Env = append(os.Environ(), "PASSERELLE_TEST_MAIN=1")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	done := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	// Wait for the plugin to be running (a stop during its start ends
	// it at once).
	for deadline := time.Now().Add(10 * time.Second); ; {
		if strings.Contains(logs.String(), "transport plugin running") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin did not start; log:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		t.Fatalf("the first SIGTERM stopped the gateway at once (%v): the test no longer hangs its stop; log:\n%s", waitErr, logs.String())
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		if waitErr == nil {
			t.Errorf("exit status 0 after a forced stop, want non-zero")
		}
		if !strings.Contains(logs.String(), "second signal") {
			t.Errorf("the log does not say why it stopped at once:\n%s", logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the gateway ignored a second SIGTERM for 10 s; log:\n%s", logs.String())
	}
}

// TestRepeatedSignalIsOneStop: timeout(1) sends its SIGTERM to the
// gateway and again to its process group, so the gateway may get two at
// once (seen with "timeout 8 passerelle run"): that is one stop, let to
// finish; a signal that comes later forces it.
func TestRepeatedSignalIsOneStop(t *testing.T) {
	first := time.Unix(1000, 0)
	// The times each signal is taken at: the repeat at once, a person's
	// second Ctrl-C later.
	times := make(chan time.Time, 2)
	times <- first
	times <- first.Add(sameStop)
	sigs := make(chan os.Signal, 2)
	sigs <- syscall.SIGTERM
	sigs <- syscall.SIGINT
	if sig := secondSignal(sigs, first, func() time.Time { return <-times }); sig != syscall.SIGINT {
		t.Errorf("secondSignal = %v, want the later SIGINT: the repeat forced the stop", sig)
	}
}
