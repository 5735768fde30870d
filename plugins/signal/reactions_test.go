package signal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The reactions map keeps its newest entries, forgets removed ones, and
// reads back the same after a reload, in a file within its bound.
func TestMyReactionsBound(t *testing.T) {
	defer func(n int) { maxMyReactions = n }(maxMyReactions)
	maxMyReactions = 4
	dir := t.TempDir()
	var log bytes.Buffer
	m := loadMyReactions(dir, testLog(&log))
	for i := range int64(10) {
		m.set(100+i, fmt.Sprint(i))
	}
	m.set(109, "")    // removed
	m.set(108, "new") // replaced
	m.set(50, "")     // not known: nothing written
	check := func(m *myReactions) {
		t.Helper()
		for i := range int64(10) {
			want := ""
			switch i {
			case 6, 7:
				want = fmt.Sprint(i)
			case 8:
				want = "new"
			}
			if got := m.on(100 + i); got != want {
				t.Fatalf("reaction %d: %q, want %q", i, got, want)
			}
		}
	}
	check(m)
	path := filepath.Join(dir, myReactionsFile)
	if n := len(fileLines(t, path)); n >= 2*maxMyReactions {
		t.Fatalf("the file has %d lines, bound %d", n, 2*maxMyReactions)
	}
	check(loadMyReactions(dir, testLog(&log)))
	if n := len(fileLines(t, path)); n != 3 {
		t.Fatalf("the file has %d lines after a load, want 3", n)
	}
	if log.Len() > 0 {
		t.Fatalf("logged: %s", log.String())
	}
}

// Lines written before the author was kept (a reaction, a pin) are found
// by their timestamp whoever the author asked, and the next change of
// them replaces them rather than leaving them beside it.
func TestOldLinesWithoutAuthor(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UnixMilli()
	if err := os.WriteFile(filepath.Join(dir, myReactionsFile), []byte(fmt.Sprintf(`{"t":%d,"e":"🎉","w":%d}`+"\n", now, now)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, pinnedFile), []byte(fmt.Sprintf(`{"t":%d,"c":"g","p":%d}`+"\n", now, now)), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r, p := loadMyReactions(dir, testLog(&log)), loadPins(dir, testLog(&log))
	if e := r.on(now, "+15550000002"); e != "🎉" {
		t.Fatalf("an old reaction: %q", e)
	}
	r.set(now, "", "+15550000002")
	if e := loadMyReactions(dir, testLog(&log)).on(now, "+15550000002"); e != "" {
		t.Fatalf("an old reaction removed: still %q", e)
	}
	p.pin("g", now, now+5, 0, "+15550000002")
	if pins := loadPins(dir, testLog(&log)).pinnedIn("g"); len(pins) != 1 || pins[0].Author != "+15550000002" || pins[0].At != now+5 {
		t.Fatalf("an old pin pinned again: %+v, want one, the new", pins)
	}
	if log.Len() > 0 {
		t.Fatalf("logged: %s", log.String())
	}
}
