//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKeepsFolderItDidNotMake: a -dir folder with the user's files and no
// marker of the demo's (the default ./demo, say) is refused, exit 1,
// with the files untouched; the demo used to remove it.
func TestKeepsFolderItDidNotMake(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	mine := filepath.Join(dir, "notes.txt")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "passerelle-demo"), "-once", "-dir", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if b, rerr := os.ReadFile(mine); rerr != nil || string(b) != "mine" {
		t.Fatalf("the user's file after the demo: %q, %v", b, rerr)
	}
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), "did not make it") || !strings.Contains(stderr.String(), "-dir") {
		t.Fatalf("exit %v, stderr %q; want 1 and a refusal naming -dir", err, stderr.String())
	}
}

// freshDir makes the folder, empties one it made (the marker, or an older
// demo's config), takes an empty one, and refuses a file.
func TestFreshDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "demo")
	if err := freshDirClosed(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		t.Fatalf("no marker in the folder made: %v", err)
	}
	old := filepath.Join(dir, "old-state")
	if err := os.WriteFile(old, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := freshDirClosed(dir); err != nil {
		t.Fatalf("the demo's own folder: %v", err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the last run's state is left: %v", err)
	}
	// An older demo's folder, from before the marker: its config says.
	older := filepath.Join(base, "older")
	if err := os.MkdirAll(filepath.Join(older, "prosody"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(older, "passerelle.toml"), []byte(generated+"\n[xmpp]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := freshDirClosed(older); err != nil {
		t.Fatalf("an older demo's folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(older, "prosody")); !os.IsNotExist(err) {
		t.Errorf("an older demo's state is left: %v", err)
	}
	empty := filepath.Join(base, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := freshDirClosed(empty); err != nil {
		t.Errorf("an empty folder: %v", err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := freshDirClosed(file); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("a file as the folder: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Error("the file was changed")
	}
}

// freshDirClosed is freshDir, its lock let go at once.
func freshDirClosed(dir string) error {
	f, err := freshDir(dir)
	if err == nil {
		f.Close()
	}
	return err
}

// TestExtraArgumentRefused: "passerelle-demo mydir" (the folder without
// -dir) is a usage error that says how to give a folder, not a run in
// ./demo that ignores the argument.
func TestExtraArgumentRefused(t *testing.T) {
	cwd := t.TempDir()
	// Bounded: a demo that ignored the argument would run until stopped.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "passerelle-demo"), "mydir")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = cwd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("exit: %v, want status 2", err)
	}
	if want := `passerelle-demo: unexpected argument "mydir" (a work folder is given with -dir DIR)`; !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "usage: passerelle-demo") {
		t.Errorf("stderr %q, want %q and the usage", stderr.String(), want)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("the demo made %v", entries)
	}
}
