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

// WriteFileDurably replaces a file whole and leaves no temporary file;
// into a folder that is not there it fails, leaving nothing.
func TestWriteFileDurably(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	for _, want := range []string{"first", "second"} {
		if err := WriteFileDurably(path, []byte(want)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Fatalf("read back %q, %v; want %q", got, err, want)
		}
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file is left: %v", err)
	}
	if err := WriteFileDurably(filepath.Join(dir, "gone", "state"), []byte("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("into a missing folder: %v, want it not found", err)
	}
}
