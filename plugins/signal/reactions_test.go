package signal

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
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
