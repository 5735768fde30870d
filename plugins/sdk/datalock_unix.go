//go:build unix

package sdk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockName is the lock file in the data folder; it holds the PID of the
// process that has the folder.
const lockName = "passerelle-plugin.lock"

// lockDataDir takes an exclusive lock on dir for this process's life (or
// until the file is closed), so that a second plugin process on the same
// folder, say one a restarted gateway starts while the old plugin still
// runs, fails instead of opening a second session of every account. The
// kernel drops the lock when the process dies, however it dies.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sdk: lock data folder: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sdk: data folder %s is in use by another plugin process (pid %s); "+
				"two processes on one folder would run two sessions of the same accounts", dir, strings.TrimSpace(string(owner)))
		}
		return nil, fmt.Errorf("sdk: lock data folder %s: %w", dir, err)
	}
	// The PID is only for the message above: the lock is the flock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
