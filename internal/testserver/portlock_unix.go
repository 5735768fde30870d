//go:build unix

package testserver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// portLockDir holds one lock file per port a test process of this user
// reserved. It is a fixed path, not os.TempDir: a test may change TMPDIR
// for the processes it starts (CheckDiesWithTestRun does).
var portLockDir = filepath.Join("/tmp", "passerelle-test-ports-"+strconv.Itoa(os.Getuid()))

// lockPort takes p's lock file, which the kernel releases when this
// process dies; ok is false when another process holds it. Without a
// usable lock folder every port is taken as unlocked: this process's own
// reservations still hold.
func lockPort(p int) (lock io.Closer, ok bool) {
	if err := os.MkdirAll(portLockDir, 0o700); err != nil {
		return io.NopCloser(nil), true
	}
	f, err := os.OpenFile(filepath.Join(portLockDir, fmt.Sprint(p)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return io.NopCloser(nil), true
	}
	// The files stay: removing one while another process opens it would
	// let two processes lock two different files of the same name.
	if err := flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false
		}
		// A file system without flock (ENOLCK, EOPNOTSUPP): as without
		// a lock folder, not every port taken.
		return io.NopCloser(nil), true
	}
	return f, true
}

// flock is syscall.Flock; a test makes it fail as some file systems do.
var flock = syscall.Flock
