//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFolderInUseRefused: a second demo on the folder of one still
// running (make demo in a second terminal) is refused, exit 1, saying
// so; the running demo's folder is left as it is. It was emptied under
// the running Prosody and gateway, whose users, store and logs were gone
// while the first demo went on printing their password and log path.
func TestFolderInUseRefused(t *testing.T) {
	d := startDemo(t)
	d.waitLine("Press Ctrl-C to stop.")
	cfg := filepath.Join(d.dir, "passerelle.toml")
	before, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	second := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", d.dir)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	second.Run()
	if code := second.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "in use by a passerelle-demo") || !strings.Contains(stderr.String(), "-dir") {
		t.Errorf("second demo on the same folder: exit %d, stderr %q; want 1 and a refusal naming -dir", code, stderr.String())
	}
	if after, err := os.ReadFile(cfg); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the running demo's config after the second: %v, changed %v", err, !bytes.Equal(after, before))
	}
	if _, err := os.Stat(filepath.Join(d.dir, "data", "passerelle.db")); err != nil {
		t.Errorf("the running demo's store: %v", err)
	}
	// Stopped as a user does, not killed: its Prosody and gateway
	// would be left for the next test to find.
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(true); code != 0 {
		t.Errorf("the first demo's exit status %d, want 0", code)
	}
	d.noLeftovers()
}

// TestFreshDirLocked: the folder freshDir returns is held until its
// lock is closed: freshDir refuses it meanwhile, its files untouched,
// and takes it again once closed.
func TestFreshDirLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	lock, err := freshDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.WriteFile(state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if l2, err := freshDir(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		l2.Close()
		t.Fatalf("freshDir of a held folder: %v, want in use", err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("a held folder was emptied: %v", err)
	}
	lock.Close()
	lock, err = freshDir(dir)
	if err != nil {
		t.Fatalf("after the lock was closed: %v", err)
	}
	lock.Close()
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the last run's state is left: %v", err)
	}
}
