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

// TestEmptyFlagRefused: a flag given with an empty value (a shell
// variable left unset: -config "$CONF") is a usage error naming the
// flag. -config "" and -plugin "" ran the echo demo instead, and -dir ""
// took the working directory, without a word.
func TestEmptyFlagRefused(t *testing.T) {
	for _, args := range [][]string{
		{"-once", "-config", ""},
		{"-once", "-plugin="},
		{"-once", "-dir", ""},
		{"-once", "-plugin", filepath.Join(binDir, "passerelle-echo"), "-name", ""},
	} {
		cwd := t.TempDir()
		// Bounded: a demo that took the flag as not given runs to its end.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "passerelle-demo"), args...)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 10 * time.Second
		cmd.Dir = cwd
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		flagName := strings.TrimSuffix(args[len(args)-1], "=")
		if flagName == "" {
			flagName = args[len(args)-2]
		}
		want := "passerelle-demo: " + flagName + " given empty"
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "usage: passerelle-demo") {
			t.Errorf("%q: %v, stderr %q; want status 2, %q and the usage", args, err, stderr.String(), want)
		}
		if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
			t.Errorf("%q: the demo made %v", args, entries)
		}
	}
}
