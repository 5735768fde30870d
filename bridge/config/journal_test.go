//go:build unix

package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// asJournal makes f the journal stream, as systemd names it in
// JOURNAL_STREAM, for the rest of the test.
func asJournal(t *testing.T, f *os.File) {
	t.Helper()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
}

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
	asJournal(t, journal)

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
		if prefixed := strings.HasPrefix(line, "<6>level=INFO "); prefixed != (tc.journal && !tc.wantTime) {
			t.Errorf("%s: %q; want the priority first: %v", tc.name, line, !prefixed)
		}
	}
}

// TestLoggerToJournalSaysPriority: each text line written to journald
// starts with its syslog priority (sd-daemon(3)), so that journalctl -p
// warning shows the warnings and errors; every line was priority 6.
func TestLoggerToJournalSaysPriority(t *testing.T) {
	isolate(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	asJournal(t, f)
	c, err := parse(t, "[log]\nlevel = \"debug\"\n"+minimal)
	if err != nil {
		t.Fatal(err)
	}
	log := c.Logger(f)
	log.Debug("d")
	log.Info("i")
	log.Warn("w", "detail", "level=ERROR inside")
	log.Error("e")
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := "<7>level=DEBUG msg=d\n<6>level=INFO msg=i\n<4>level=WARN msg=w detail=\"level=ERROR inside\"\n<3>level=ERROR msg=e\n"
	if string(data) != want {
		t.Errorf("journal got:\n%s\nwant:\n%s", data, want)
	}
}

// TestErrorOutputPrefixesEachLine: every line written through
// ErrorOutput to the journal gets the error priority once, however the
// writes cut the lines; elsewhere it is w itself.
func TestErrorOutputPrefixesEachLine(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	if ErrorOutput(&b) != &b {
		t.Errorf("ErrorOutput of a buffer is not the buffer")
	}
	asJournal(t, f)
	w := ErrorOutput(f)
	for _, s := range []string{"a:1: x\nb:2: y\n", "c:3: ", "z\n"} {
		if n, err := io.WriteString(w, s); n != len(s) || err != nil {
			t.Fatalf("write %q: %d, %v", s, n, err)
		}
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if want := "<3>a:1: x\n<3>b:2: y\n<3>c:3: z\n"; string(data) != want {
		t.Errorf("journal %q, want %q", data, want)
	}
}
