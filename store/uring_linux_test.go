package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUringDatasync: a sync through the ring succeeds on a written file
// and reports the kernel's error for a bad descriptor; the ring is used
// again and again. Where io_uring cannot be set up the test says so and
// stops: fdatasync then uses the system call (the other store tests).
func TestUringDatasync(t *testing.T) {
	u, err := newUring()
	if err != nil {
		t.Skipf("io_uring not available here: %v", err)
	}
	defer u.close()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 100 {
		if _, err := f.Write([]byte("record\n")); err != nil {
			t.Fatal(err)
		}
		if err := u.datasync(int(f.Fd())); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	if err := u.datasync(1 << 20); !errors.Is(err, unix.EBADF) {
		t.Fatalf("sync of a bad descriptor: %v, want EBADF", err)
	}
	if err := u.datasync(int(f.Fd())); err != nil {
		t.Fatalf("sync after an error: %v", err)
	}
}

// BenchmarkDatasync: one fdatasync of a small append, by the system call
// and through the ring (wall time; the ring's win is the P it leaves free,
// which this does not show).
func BenchmarkDatasync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rec := []byte("a record of about sixty-four bytes, as the log writes them...\n")
	b.Run("syscall", func(b *testing.B) {
		for b.Loop() {
			f.Write(rec)
			if err := unix.Fdatasync(int(f.Fd())); err != nil {
				b.Fatal(err)
			}
		}
	})
	u, err := newUring()
	if err != nil {
		b.Skipf("io_uring not available here: %v", err)
	}
	defer u.close()
	b.Run("io_uring", func(b *testing.B) {
		for b.Loop() {
			f.Write(rec)
			if err := u.datasync(int(f.Fd())); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestUringFallback: when the ring itself fails, fdatasync still syncs,
// by the system call, and keeps to it.
func TestUringFallback(t *testing.T) {
	u, err := newUring()
	if err != nil {
		t.Skipf("io_uring not available here: %v", err)
	}
	unix.Close(u.fd) // io_uring_enter fails from now on; the mappings stay
	u.fd = -1
	defer u.close()
	ringOnce.Do(func() {}) // no setup behind our back
	old := ring
	ring = u
	defer func() { ring = old }()

	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte("record\n"))
	if err := fdatasync(f); err != nil {
		t.Fatalf("fdatasync with a broken ring: %v", err)
	}
	if !u.disabled.Load() {
		t.Error("the broken ring is still in use")
	}
	if err := fdatasync(f); err != nil {
		t.Fatalf("fdatasync after: %v", err)
	}
}
