//go:build !unix

package sdk

import (
	"fmt"
	"os"
	"path/filepath"
)

const lockName = "passerelle-plugin.lock"

// lockDataDir opens the lock file without locking it: this platform has
// no flock, so two plugin processes on one folder are not refused.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sdk: lock data folder: %w", err)
	}
	return f, nil
}
