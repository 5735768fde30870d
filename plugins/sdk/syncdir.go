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

// WriteFileDurably replaces the file at path with data so that a crash
// leaves the old content or the new, never a mix: data goes to path+".tmp",
// is synced, renamed over path, and the folder synced (SyncDir). The
// temporary file is removed on failure.
func WriteFileDurably(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(path)
}
