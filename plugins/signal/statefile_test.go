package signal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A state file holding JSON null (damaged, or written by hand) is
// logged as unreadable and the state starts empty, as for other damage;
// before, the read marks and members' names took it for an empty map
// that is nil, and the next mark or name written panicked.
func TestStateFileNull(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{readMarksFile, memberNamesFile, ringingFile, requestsToldFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("null\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	marks := loadReadMarks(dir, testLog(&log))
	marks.mark("chat", 42)
	if marks.upTo("chat") != 42 {
		t.Fatal("the mark is not kept")
	}
	var names memberNames
	names.load(dir, testLog(&log))
	if names.m == nil {
		t.Fatal("the members' names read from null are a nil map")
	}
	loadRinging(dir, testLog(&log))
	loadRequestsTold(dir, testLog(&log))
	if n := strings.Count(log.String(), "level=WARN"); n != 4 {
		t.Fatalf("%d warnings, want one per file: %s", n, log.String())
	}
}
