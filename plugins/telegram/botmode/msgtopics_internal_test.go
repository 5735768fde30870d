package botmode

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// The topics kept are bounded (the oldest forgotten), the file is
// rewritten once it holds twice the bound, and an append that failed
// has the next save rewrite it whole.
func TestMsgTopicsBounded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, msgTopicsFile)
	mt := newMsgTopics(path)
	mt.max = 4
	lines := func() int {
		data, _ := os.ReadFile(path)
		return bytes.Count(data, []byte("\n"))
	}
	for i := 1; i <= 6; i++ {
		mt.set(-100, i, 7)
		if err := mt.save(); err != nil {
			t.Fatal(err)
		}
	}
	if mt.get(-100, 1) != 0 || mt.get(-100, 2) != 0 || mt.get(-100, 3) != 7 || mt.get(-100, 6) != 7 {
		t.Errorf("after 6 messages with a bound of 4: %v", mt.m)
	}
	if n := lines(); n != 6 {
		t.Errorf("file of %d lines, want 6 appended", n)
	}
	mt.set(-100, 6, 7) // no change: nothing to write
	mt.set(-100, 9, 1) // General: not kept
	if len(mt.fresh) != 0 {
		t.Errorf("fresh %v", mt.fresh)
	}
	for i := 7; i <= 9; i++ {
		mt.set(-100, i, 8)
	}
	if err := mt.save(); err != nil {
		t.Fatal(err)
	}
	if n := lines(); n != 4 {
		t.Errorf("file of %d lines past twice the bound, want it rewritten with 4", n)
	}
	re := loadMsgTopics(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if re.get(-100, 6) != 7 || re.get(-100, 9) != 8 || re.get(-100, 5) != 0 || len(re.m) != 4 {
		t.Errorf("reloaded: %v", re.m)
	}

	// An append that fails (the folder gone) is kept for the next save,
	// which rewrites the file whole.
	gone := filepath.Join(t.TempDir(), "gone")
	mt2 := newMsgTopics(filepath.Join(gone, msgTopicsFile))
	mt2.set(-100, 1, 5)
	if err := mt2.save(); err == nil {
		t.Fatal("a save into a missing folder succeeded")
	}
	os.Mkdir(gone, 0o700)
	mt2.set(-100, 2, 5)
	if err := mt2.save(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(mt2.path); string(data) != "-100 1 5\n-100 2 5\n" {
		t.Errorf("after a failed append: %q", data)
	}
}
