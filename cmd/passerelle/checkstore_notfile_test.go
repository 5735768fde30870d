//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckStoreNotAFile: --store naming a device or a named pipe is
// refused, naming what it is. A named pipe blocked check-store for ever
// (its open waits for a writer), and /dev/null was reported as an empty
// store, "ok".
func TestCheckStoreNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/null": "/dev/null is a character device, not a store file (check the --store path)",
		fifo:        fifo + " is a named pipe, not a store file",
	} {
		done := make(chan struct{})
		var code int
		var out, errs string
		go func() {
			defer close(done)
			code, out, errs = call("check-store", "--store", path)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			// Let the blocked open go, then fail.
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.Close()
			}
			<-done
			t.Fatalf("check-store --store %s still ran after 20 s", path)
		}
		if code != 1 || strings.Contains(out, "ok") || !strings.Contains(errs, want) {
			t.Errorf("check-store --store %s: exit %d, stdout %q, stderr %q; want 1 and %q", path, code, out, errs, want)
		}
	}
}
