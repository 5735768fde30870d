package sdk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// SyncDir syncs the folder of a file just renamed there, and says when
// the folder is not there.
func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	if err := os.WriteFile(path+".tmp", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(path); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(filepath.Join(dir, "gone", "state")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing folder: %v, want it not found", err)
	}
}
