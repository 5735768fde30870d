package pluginhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A binary that is not a passerelle plugin, or no binary at all, fails at
// launch with an error, not a hang.
func TestLaunchRefusesNonPlugin(t *testing.T) {
	for _, path := range []string{"/bin/true", filepath.Join(t.TempDir(), "missing")} {
		p, err := launch(context.Background(), launchConfig{Path: path})
		if err == nil {
			p.Kill()
			t.Errorf("launch(%s) succeeded", path)
		}
	}
}

// TestLaunchNotAPluginSaysSo: a plugin path naming a program that is
// no passerelle plugin (one that exits at once, one that prints
// something else than the handshake line) is refused with an error that
// names the path and asks whether it is a passerelle plugin, go-plugin's
// own text kept as its cause. Only go-plugin's "Unrecognized remote
// plugin message ... architecture" text was given.
func TestLaunchNotAPluginSaysSo(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, path := range []string{
		"/bin/true",
		script("garbage", "echo 'hello, this is not a plugin'"),
		script("pipes", "echo 'x|y|z|w|v'; sleep 1"),
	} {
		p, err := launch(context.Background(), launchConfig{Path: path})
		if err == nil {
			p.Kill()
			t.Errorf("launch(%s) succeeded", path)
			continue
		}
		want := path + " exited before the plugin handshake (or printed something else): is it a passerelle plugin?"
		if !strings.Contains(err.Error(), want) || errors.Unwrap(err) == nil {
			t.Errorf("launch(%s): %v, want %q with go-plugin's error as its cause", path, err, want)
		}
	}
}

// TestLaunchFailureLeavesNoSocketDir: go-plugin makes a folder for the
// plugin's socket in the temporary folder at each start and removes it
// only once a process ran; a plugin that cannot be started (missing, not
// executable) left one behind at each try of the host's restarts.
func TestLaunchFailureLeavesNoSocketDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	notExec := filepath.Join(t.TempDir(), "notexec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "missing"), notExec, "/bin/true"} {
		p, err := launch(context.Background(), launchConfig{Path: path})
		if err == nil {
			p.Kill()
			t.Fatalf("launch(%s) succeeded", path)
		}
		left, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("launch(%s) failed and left %s in the temporary folder", path, e.Name())
		}
	}
}
