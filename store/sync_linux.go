package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync makes what was written to f durable, without its metadata
// (the log's size is known from its frames, not from the inode).
func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
