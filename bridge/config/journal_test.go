//go:build unix

package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoggerToJournalHasNoTime: under systemd, whose journald stamps
// every line, the text log carries no time of its own (journalctl
// showed each line's time twice); written elsewhere, or as JSON, it
// does.
func TestLoggerToJournalHasNoTime(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	open := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	journal := open("journal")
	fi, err := journal.Stat()
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))

	for _, tc := range []struct {
		name, format string
		journal      bool
		wantTime     bool
	}{
		{"text to the journal", "text", true, false},
		{"text to another file", "text", false, true},
		{"json to the journal", "json", true, true},
	} {
		c, err := parse(t, "[log]\nformat = \""+tc.format+"\"\n"+minimal)
		if err != nil {
			t.Fatal(err)
		}
		f := journal
		if !tc.journal {
			f = open(strings.ReplaceAll(tc.name, " ", "-"))
		}
		off, _ := f.Seek(0, 1)
		c.Logger(f).Info("hello", "k", "v")
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		line := string(data[off:])
		hasTime := strings.Contains(line, "time=") || strings.Contains(line, `"time":`)
		if hasTime != tc.wantTime || !strings.Contains(line, "hello") {
			t.Errorf("%s: %q; want time %v", tc.name, line, tc.wantTime)
		}
	}
}
