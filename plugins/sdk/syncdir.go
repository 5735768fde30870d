package sdk

import (
	"os"
	"path/filepath"
)

// SyncDir fsyncs the folder holding path, so that the file's creation,
// rename or removal there survives a crash of the machine: a file's own
// Sync makes its content durable, not its name. A plugin that keeps
// state in its data folder calls it after writing a new file, or after
// renaming a temporary file over the old one (write, Sync, Close,
// os.Rename, then SyncDir), before it tells anyone the state is saved.
func SyncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
