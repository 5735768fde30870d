package pollstore

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type poll struct {
	Question string
	Votes    map[string]int
}

// logTo is a logger writing to b.
func logTo(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// Polls put, changed and deleted are read back after a restart as last
// put, in the order first put.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	s, kept := Open[poll](dir, logTo(&logs))
	if len(kept) != 0 {
		t.Fatalf("a new folder holds %v", kept)
	}
	s.Put("b", poll{Question: "B?"})
	s.Put("a", poll{Question: "A?"})
	s.Put("c", poll{Question: "C?"})
	s.Put("b", poll{Question: "B?", Votes: map[string]int{"alice": 1}}) // keeps its place
	s.Delete("c")
	s.Delete("never")

	s2, kept := Open[poll](dir, logTo(&logs))
	if len(kept) != 2 || kept[0].Key != "b" || kept[0].Poll.Votes["alice"] != 1 || kept[1].Key != "a" || kept[1].Poll.Question != "A?" {
		t.Fatalf("read back %+v, want b (alice's vote) then a", kept)
	}
	// A poll put after the restart comes after those before it.
	s2.Put("d", poll{Question: "D?"})
	s2.Put("a", poll{Question: "A!"})
	_, kept = Open[poll](dir, logTo(&logs))
	var keys []string
	for _, k := range kept {
		keys = append(keys, k.Key+"="+k.Poll.Question)
	}
	if got := strings.Join(keys, " "); got != "b=B? a=A! d=D?" {
		t.Errorf("after a second restart: %s", got)
	}
	if logs.Len() > 0 {
		t.Errorf("logged: %s", logs.String())
	}
}

// A damaged poll's file is logged and set aside, the others read; a
// temporary file a crash left is removed; and the store goes on.
func TestDamaged(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open[poll](dir, slog.New(slog.DiscardHandler))
	s.Put("good", poll{Question: "Good?"})
	s.Put("bad", poll{Question: "Bad?"})
	s.Put("cut", poll{Question: "Cut?"})
	bad := filepath.Join(dir, DirName, fileName("bad"))
	if err := os.WriteFile(bad, []byte(`{"seq":2,"key":"bad","poll":{"Quest`), 0o600); err != nil {
		t.Fatal(err)
	}
	// A file whose key is another's: not that poll.
	if err := os.WriteFile(filepath.Join(dir, DirName, fileName("cut")), []byte(`{"seq":3,"key":"good","poll":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, DirName, fileName("other")+".tmp")
	if err := os.WriteFile(tmp, []byte(`{"se`), 0o600); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	s2, kept := Open[poll](dir, logTo(&logs))
	if len(kept) != 1 || kept[0].Key != "good" || kept[0].Poll.Question != "Good?" {
		t.Errorf("read back %+v, want the good poll alone", kept)
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"pollstore: a poll kept is damaged"); n != 2 {
		t.Errorf("%d warnings of a damaged poll, want 2:\n%s", n, logs.String())
	}
	if _, err := os.Stat(bad + ".damaged"); err != nil {
		t.Errorf("the damaged file not set aside: %v", err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temporary file left: %v", err)
	}
	// The damaged poll may be put again, and is read back.
	s2.Put("bad", poll{Question: "Bad again?"})
	if _, kept = Open[poll](dir, logTo(&logs)); len(kept) != 2 || kept[1].Poll.Question != "Bad again?" {
		t.Errorf("after the damaged poll put again: %+v", kept)
	}
}

// A folder that cannot be read is logged, and the plugin starts with no
// polls.
func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	// A file where the folder should be: not a folder to read.
	if err := os.WriteFile(filepath.Join(dir, DirName), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, kept := Open[poll](dir, logTo(&logs))
	if len(kept) != 0 || !strings.Contains(logs.String(), "level=WARN msg=\"pollstore: the polls kept cannot be read") {
		t.Fatalf("kept %v, logged %q", kept, logs.String())
	}
	logs.Reset()
	s.Put("a", poll{}) // fails too: logged, not fatal
	if !strings.Contains(logs.String(), "level=WARN msg=\"pollstore: a poll not saved") {
		t.Errorf("a failed write not logged: %q", logs.String())
	}
}

// A store of no folder, or none, keeps nothing and does not fail.
func TestMemoryOnly(t *testing.T) {
	s, kept := Open[poll]("", slog.New(slog.DiscardHandler))
	s.Put("a", poll{})
	s.Delete("a")
	var none *Store[poll]
	none.Put("a", poll{})
	none.Delete("a")
	if len(kept) != 0 {
		t.Errorf("kept %v", kept)
	}
}

// Remove deletes the login's polls.
func TestRemove(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open[poll](dir, slog.New(slog.DiscardHandler))
	s.Put("a", poll{})
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, kept := Open[poll](dir, slog.New(slog.DiscardHandler)); len(kept) != 0 {
		t.Errorf("after Remove: %v", kept)
	}
}
