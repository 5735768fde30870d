package signal

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testLog(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a newline: %q", path, b)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// The map keeps its newest maxMsgChats entries, in memory and on disk: the
// file is rewritten when it reaches twice that, and a new session reads
// the same entries.
func TestMsgChatsBound(t *testing.T) {
	defer func(n int) { maxMsgChats = n }(maxMsgChats)
	maxMsgChats = 5
	dir := t.TempDir()
	var log bytes.Buffer
	m := loadMsgChats(dir, testLog(&log))
	base := time.Now().UnixMilli()
	for i := range int64(12) {
		m.note(base+i, fmt.Sprintf("chat%d", i), "")
		m.note(base+i, fmt.Sprintf("chat%d", i), "") // known: not written again
	}
	check := func(m *msgChats) {
		t.Helper()
		for i := range int64(12) {
			want := ""
			if i >= 7 {
				want = fmt.Sprintf("chat%d", i)
			}
			if got := m.at(base + i); got != want {
				t.Fatalf("entry %d: %q, want %q", i, got, want)
			}
		}
	}
	check(m)
	path := filepath.Join(dir, msgChatsFile)
	if n := len(fileLines(t, path)); n >= 2*maxMsgChats {
		t.Fatalf("the file has %d lines, bound %d", n, 2*maxMsgChats)
	}
	check(loadMsgChats(dir, testLog(&log)))
	if n := len(fileLines(t, path)); n != maxMsgChats {
		t.Fatalf("the file has %d lines after a load, want %d", n, maxMsgChats)
	}
	if log.Len() > 0 {
		t.Fatalf("logged: %s", log.String())
	}
}

// Entries older than msgChatsAge are dropped when the map is read.
func TestMsgChatsAge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, msgChatsFile)
	old := time.Now().Add(-msgChatsAge - time.Hour).UnixMilli()
	recent := time.Now().Add(-time.Hour).UnixMilli()
	content := fmt.Sprintf("{\"t\":%d,\"c\":\"old\"}\n{\"t\":%d,\"c\":\"recent\"}\n", old, recent)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	m := loadMsgChats(dir, testLog(&log))
	if m.at(old) != "" || m.at(recent) != "recent" {
		t.Fatalf("old %q, recent %q", m.at(old), m.at(recent))
	}
	if lines := fileLines(t, path); len(lines) != 1 || !strings.Contains(lines[0], "recent") {
		t.Fatalf("file after the load: %q", lines)
	}
}

// A damaged file (garbage, a line cut mid-write) is logged clearly; the
// good entries are kept, the file repaired, and what is noted after it
// is read back.
func TestMsgChatsDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, msgChatsFile)
	now := time.Now().UnixMilli()
	content := fmt.Sprintf("garbage\n{\"t\":%d,\"c\":\"group\"}\n\x00\x00\n{\"t\":%d,\"c\":\"+1", now, now+1)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	m := loadMsgChats(dir, testLog(&log))
	if got := log.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "damaged lines") ||
		!strings.Contains(got, "damaged=3") || !strings.Contains(got, "kept=1") || !strings.Contains(got, path) {
		t.Fatalf("log: %s", got)
	}
	if m.at(now) != "group" {
		t.Fatalf("the good entry is lost: %q", m.at(now))
	}
	if lines := fileLines(t, path); len(lines) != 1 {
		t.Fatalf("file not repaired: %q", lines)
	}
	m.note(now+2, "+15550000002", "")
	log.Reset()
	m = loadMsgChats(dir, testLog(&log))
	if m.at(now) != "group" || m.at(now+2) != "+15550000002" || log.Len() > 0 {
		t.Fatalf("after a reload: %q %q, log %s", m.at(now), m.at(now+2), log.String())
	}
}

// A map that cannot be read is logged and kept in memory: the session
// still works.
func TestMsgChatsUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, msgChatsFile), 0o700); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	m := loadMsgChats(dir, testLog(&log))
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "cannot be read") {
		t.Fatalf("log: %s", log.String())
	}
	m.note(42, "group", "")
	if m.at(42) != "group" {
		t.Fatal("not kept in memory")
	}
}

// An edit's timestamp maps to its chat and to the original message,
// however many edits lie between, after a reload too; the newest edit
// is the one of the greatest timestamp, whatever the order noted.
func TestMsgChatsEdits(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	m := loadMsgChats(dir, testLog(&log))
	orig := time.Now().UnixMilli()
	m.note(orig, "group", "")
	m.noteEdit(orig+2, "group", "", m.original(orig))
	m.noteEdit(orig+1, "group", "", m.original(orig)) // came late
	m.noteEdit(orig+3, "group", "", m.original(orig+2))
	m.note(orig+4, "+15550000002", "")
	for _, m := range []*msgChats{m, loadMsgChats(dir, testLog(&log))} {
		for _, ts := range []int64{orig, orig + 1, orig + 2, orig + 3} {
			if m.original(ts) != orig || m.at(ts) != "group" {
				t.Fatalf("%d: original %d in %q, want %d in the group", ts, m.original(ts), m.at(ts), orig)
			}
		}
		if m.original(orig+4) != orig+4 || m.latest(orig) != orig+3 || m.latest(orig+4) != orig+4 {
			t.Fatalf("original %d, latest %d %d", m.original(orig+4), m.latest(orig), m.latest(orig+4))
		}
	}
	if log.Len() > 0 {
		t.Fatalf("logged: %s", log.String())
	}
}

// A message's author is kept with its chat, across a restart (the file),
// and another's message of the same timestamp is another entry, each
// found by its author; lines written before authors were kept read as
// no author known, found by their timestamp whoever asks.
func TestMsgChatsAuthor(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	now := time.Now().UnixMilli()
	if err := os.WriteFile(filepath.Join(dir, msgChatsFile), []byte(fmt.Sprintf(`{"t":%d,"c":"+15550000002"}`+"\n", now)), 0o600); err != nil {
		t.Fatal(err)
	}
	m := loadMsgChats(dir, testLog(&log))
	if a := m.author(now); a != "" {
		t.Fatalf("an old line's author: %q, want none", a)
	}
	m.note(now+1, "group", "+15550000003")
	m.note(now+1, "group", "+15550000002")        // bob's, at carol's time
	m.note(now+1, "+15550000002", "+15550000002") // bob's, at carol's time, to him
	m = loadMsgChats(dir, testLog(&log))
	if a, c := m.author(now+1), m.at(now+1); a != "+15550000003" || c != "group" {
		t.Fatalf("after a restart: author %q in %q, want carol's in the group (the first noted)", a, c)
	}
	if c := m.at(now+1, "+15550000002"); c != "+15550000002" {
		t.Fatalf("bob's message of carol's time in %q, want his direct chat", c)
	}
	if c := m.at(now, "+15550000002"); c != "+15550000002" {
		t.Fatalf("an old line asked with an author: %q, want its chat", c)
	}
}

// A message the map forgot is not taken for one the plugin never had
// (a reaction to it would show as a notice of a reaction to an earlier
// message, earlierreactions.go): the count bound forgets the oldest
// noted, not the oldest sent, so a message noted late (fetched after
// a while) may be older than one forgotten; and after a compaction and
// a restart, the map cannot say what it forgot. A message newer than
// all it forgot and never noted is one it never had.
func TestUnknownTargetPastBound(t *testing.T) {
	defer func(n int) { maxMsgChats = n }(maxMsgChats)
	maxMsgChats = 3
	dir := t.TempDir()
	var log bytes.Buffer
	m := loadMsgChats(dir, testLog(&log))
	base := time.Now().UnixMilli() - 1000
	if !m.unknownTarget(base + 1) {
		t.Fatal("a young map: a message never noted is taken as known")
	}
	delivered := base + 10
	m.note(delivered, "chat", "bob")
	for _, ts := range []int64{base + 20, base + 30, base + 5 /* noted late */} {
		m.note(ts, "chat", "bob")
	}
	if m.known(delivered, "bob") {
		t.Fatal("the first noted is not forgotten: the test shows nothing")
	}
	if m.unknownTarget(delivered, "bob") {
		t.Fatal("a message forgotten by the bound is taken for one never had")
	}
	if !m.unknownTarget(base+40, "bob") {
		t.Fatal("a message newer than all forgotten, never noted, is taken as known")
	}
	// Two more compact the file (twice the bound): base+5 stays, noted
	// last but two, older than the message forgotten.
	m.note(base+50, "chat", "bob")
	m.note(base+60, "chat", "bob")
	m = loadMsgChats(dir, testLog(&log))
	if !m.known(base+5, "bob") || m.known(delivered, "bob") {
		t.Fatal("the reload does not hold what the test expects")
	}
	if m.unknownTarget(delivered, "bob") {
		t.Fatal("after a compaction and a restart, a message forgotten is taken for one never had")
	}
	if log.Len() > 0 {
		t.Fatalf("logged: %s", log.String())
	}
}
