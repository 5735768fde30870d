package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCutShort: a store file cut short (a copy or a restore that
// stopped) is said to be cut short, by Open (ErrCutShort, still
// ErrCorrupt) and by Inspect (Report.CutShort), whichever page the cut
// falls in. It read as a damaged freelist, "unreadable: EOF", or as a
// file that may be another program's.
func TestCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	var ps []Puppet
	for i := range 2000 {
		ps = append(ps, Puppet{Transport: "wa", LoginID: "l", UserID: fmt.Sprint("u", i), Name: "a contact"})
	}
	must(t, db.PutPuppets(bg, ps))
	must(t, db.Close())
	whole, err := os.ReadFile(path)
	must(t, err)
	const pageSize = 4096
	// bbolt grows the file ahead: the pages in use are the newest
	// meta's count, which may be fewer than the file holds.
	m0, ok0 := parseMeta(whole[:metaEnd])
	m1, ok1 := parseMeta(whole[pageSize : pageSize+metaEnd])
	if !ok0 || !ok1 {
		t.Fatal("the store's meta pages do not parse")
	}
	used := int(max(m0.pgid, m1.pgid))
	if m1.txid > m0.txid {
		used = int(m1.pgid)
	} else if m0.txid > m1.txid {
		used = int(m0.pgid)
	}
	for _, pages := range []int{3, used / 2, used - 1} {
		must(t, os.WriteFile(path, whole[:pages*pageSize], 0o600))
		db, err := OpenOptions(path, Options{LockTimeout: 100 * time.Millisecond})
		if err == nil {
			db.Close()
			t.Fatalf("%d of %d pages: Open succeeded", pages, used)
		}
		if !errors.Is(err, ErrCutShort) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "cut short: the file is ") {
			t.Errorf("%d of %d pages: Open = %v; want ErrCutShort and ErrCorrupt", pages, len(whole)/pageSize, err)
		}
		r, err := Inspect(path, 100*time.Millisecond)
		must(t, err)
		if !r.CutShort || !r.Damaged() || len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], "damaged: cut short: the file is ") {
			t.Errorf("%d of %d pages: report %+v; want it cut short", pages, len(whole)/pageSize, r)
		}
	}
	// The whole file is not.
	must(t, os.WriteFile(path, whole, 0o600))
	r, err := Inspect(path, 100*time.Millisecond)
	must(t, err)
	if r.CutShort || r.Damaged() {
		t.Errorf("the whole file: report %+v", r)
	}
}
