package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
)

// mountSmall mounts a tmpfs of size at a new folder (root only).
func mountSmall(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file into dir until its filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
	return path
}

// TestWriteAfterDiskFull: once a full disk has room again, the next write
// goes through. The log that failed is replaced at once, the one before
// it checkpointed first (its checkpoint failed on the full disk): before,
// writes were refused until the next retry, up to a second later, and
// the message map entry of a message sent then was lost.
func TestWriteAfterDiskFull(t *testing.T) {
	dir := mountSmall(t, "16m")
	db := openAt(t, filepath.Join(dir, "p.db"), Options{})
	// The checkpoints fail while the disk is full, as bbolt's do once
	// its file has no room left (in a test this small it may have some).
	var full atomic.Bool
	db.ckHook = func() error {
		if full.Load() {
			return syscall.ENOSPC
		}
		return nil
	}
	put := func(i int) error {
		return db.PutSent(bg, MessageRef{Transport: "wa", LoginID: "l", ChatID: "c", RemoteID: fmt.Sprint("r", i), ID: fmt.Sprint("x", i)}, "")
	}
	must(t, put(0))
	filler := fill(t, dir)
	full.Store(true)
	// Until the disk refuses, then once more: the log replaced after the
	// first failure fails too, with the checkpoint of the first one.
	refused := 0
	for i := 1; refused < 2; i++ {
		if err := put(i); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("write %d on a full disk: %v, want no space left on device", i, err)
			}
			refused++
		}
		if i > 100_000 {
			t.Fatal("writes still taken on a full disk")
		}
	}
	must(t, os.Remove(filler))
	full.Store(false)
	if err := put(-1); err != nil {
		t.Fatalf("the first write once the disk has room: %v", err)
	}
	if r, err := db.LookupXMPP("wa", "l", "c", "x-1"); err != nil || r.RemoteID != "r-1" {
		t.Errorf("LookupXMPP(x-1) = %+v, %v", r, err)
	}
	db = reopen(t, db)
	if r, err := db.LookupXMPP("wa", "l", "c", "x-1"); err != nil || r.RemoteID != "r-1" {
		t.Errorf("after a reopen, LookupXMPP(x-1) = %+v, %v", r, err)
	}
}
