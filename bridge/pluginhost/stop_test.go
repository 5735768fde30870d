package pluginhost

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
)

// script writes an executable shell script plugin into a temp folder;
// body may name the folder as $DIR. It returns the script and folder.
func script(t *testing.T, body string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "plugin.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nDIR="+dir+"\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// pidFile waits for the PID the script wrote to file, and kills that
// process when the test ends, whatever it asserted.
func pidFile(t *testing.T, file string) int {
	t.Helper()
	var pid int
	waitFor(t, file, func() bool {
		b, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// gone waits up to 2 s for pid to end.
func gone(t *testing.T, what string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still runs after the plugin stopped", what, pid)
		}
	}
}

// within runs f and fails the test if it has not returned after limit.
func within(t *testing.T, what string, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	began := time.Now()
	go func() { defer close(done); f() }()
	select {
	case <-done:
		t.Logf("%s took %s", what, time.Since(began).Round(time.Millisecond))
	case <-time.After(limit):
		t.Fatalf("%s still blocked after %s", what, limit)
	}
}

// hangBody is a plugin that never does the handshake: its shell waits on
// a child that holds the shell's stdout, which go-plugin reads to its end.
const hangBody = "sleep 1000 &\necho $! > $DIR/child.pid\nwait"

// A gateway stopped while a plugin hangs at its start stops at once, not
// after go-plugin's start timeout (60 s) and then never (its kill waited
// for the child's stdout), and the child is gone.
func TestStopWhilePluginHangsAtStart(t *testing.T) {
	path, dir := script(t, hangBody)
	stop := running(t, testHost(t, path))
	child := pidFile(t, filepath.Join(dir, "child.pid"))
	within(t, "stopping the host", 10*time.Second, stop)
	gone(t, "the hung plugin's child", child)
}

// A plugin that never does the handshake fails launch after the start
// timeout, with its child killed: go-plugin's kill alone then waited for
// the child to close stdout, forever.
func TestLaunchTimeoutEndsHungPlugin(t *testing.T) {
	defer func(d time.Duration) { startTimeout = d }(startTimeout)
	startTimeout = time.Second
	path, dir := script(t, hangBody)
	within(t, "launch", 10*time.Second, func() {
		p, err := launch(context.Background(), launchConfig{Path: path, Stderr: io.Discard})
		if err == nil {
			p.Kill()
			t.Error("a plugin that never did the handshake was launched")
		}
	})
	gone(t, "the hung plugin's child", pidFile(t, filepath.Join(dir, "child.pid")))
}

// testHost is a host of the plugin at path, not run.
func testHost(t *testing.T, path string) *Host {
	return New(Config{Name: "test", Path: path, DataDir: t.TempDir(), ConfigJSON: []byte("{}"),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), OnEvents: (&recorder{}).onEvents})
}

// A stop of the gateway ends what a plugin started, in its process group:
// a child still holding the plugin's stdout and stderr (go-plugin's kill
// waited for them, forever) and one that let go of them (it was left
// running), as signal-cli would be. The gateway, in another group, lives.
func TestStopEndsPluginChildren(t *testing.T) {
	echo := plugintest.BuildBinary(t, echoPkg)
	for _, c := range []struct{ name, child string }{
		{"holding the pipes", "sleep 1000 &"},
		{"detached", "sleep 1000 </dev/null >/dev/null 2>&1 &"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, dir := script(t, c.child+"\necho $! > $DIR/child.pid\nexec "+echo)
			_, stop := runningReady(t, testHost(t, path))
			child := pidFile(t, filepath.Join(dir, "child.pid"))
			within(t, "stopping the host", 10*time.Second, stop)
			gone(t, "the plugin's child", child)
		})
	}
}

// A child that left the plugin's group (setsid) and holds its stdout is
// not the gateway's to kill, nor to wait for: the stop ends anyway.
func TestStopNotHeldByProcessOutsideGroup(t *testing.T) {
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid")
	}
	echo := plugintest.BuildBinary(t, echoPkg)
	path, dir := script(t, setsid+" sleep 1000 &\necho $! > $DIR/child.pid\nexec "+echo)
	_, stop := runningReady(t, testHost(t, path))
	pidFile(t, filepath.Join(dir, "child.pid"))
	within(t, "stopping the host", 10*time.Second, stop)
}
