package store

import (
	"os"
	"syscall"
)

// fdatasync skips the metadata fsync would also flush (times).
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
