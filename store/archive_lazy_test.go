package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestArchiveIDsAfterPowerCut: appends are lazy, so a power cut may take
// the last ones from the log although their stanza-ids went out. After
// such an unclean stop no stanza-id is handed out again: the room's
// counter skips ahead. After a clean stop it goes on where it was.
func TestArchiveIDsAfterPowerCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	opts := Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour}
	base := time.Now()
	seqOf := func(id string) uint64 {
		t.Helper()
		_, seq, ok := parseStanzaID(id)
		if !ok {
			t.Fatalf("bad stanza-id %q", id)
		}
		return seq
	}
	appendOne := func(db *DB, n int) string {
		t.Helper()
		res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(n, base)})
		must(t, err)
		return res[0].StanzaID
	}

	db := openAt(t, path, opts)
	appendOne(db, 0)
	appendOne(db, 1)
	must(t, db.Close())

	// A run whose last append a power cut took: the store file as it was
	// before the append, and the run's log, empty.
	db = openAt(t, path, opts)
	gens, err := listWAL(path)
	must(t, err)
	if len(gens) != 1 {
		t.Fatalf("log generations of a running store: %v", gens)
	}
	before, err := os.ReadFile(path)
	must(t, err)
	lost := appendOne(db, 2)
	if seqOf(lost) != 3 {
		t.Fatalf("after a clean stop the counter moved: %s", lost)
	}
	must(t, db.Close())
	must(t, os.WriteFile(path, before, 0o600))
	must(t, os.WriteFile(walPath(path, gens[0]), nil, 0o600))

	db = openAt(t, path, opts)
	if _, err := db.LookupArchived(bg, testRoom, lost); !errors.Is(err, ErrUnknownStanzaID) {
		t.Fatalf("the lost append is there: %v", err)
	}
	next := appendOne(db, 3)
	if next == lost || seqOf(next) <= 3 {
		t.Fatalf("after a power cut the next append got %s; %s was handed out before", next, lost)
	}
	page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{CountOnly: true})
	must(t, err)
	if page.Count != 3 {
		t.Errorf("count %d, want 3 (the lost one not counted)", page.Count)
	}
	must(t, db.Close())

	// A clean stop again: no skip.
	db = openAt(t, path, opts)
	if after := appendOne(db, 4); seqOf(after) != seqOf(next)+1 {
		t.Errorf("after a clean stop: %s follows %s", after, next)
	}
}

// TestFreezeSyncsLazyWrites: a checkpoint starts a new log and applies
// the old one later, in the background: lazy writes of the old log are
// synced first, so that a strict write to the new log still follows
// every write before it onto the disk (archive.go relies on it).
func TestFreezeSyncsLazyWrites(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "p.db"), Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(0, time.Now())})
	must(t, err)
	if n := db.syncs.Load(); n != 0 {
		t.Fatalf("a lazy append synced the log (%d)", n)
	}
	must(t, db.Flush(bg))
	if n := db.syncs.Load(); n != 1 {
		t.Fatalf("log synced %d times by a checkpoint after a lazy write, want 1", n)
	}
	must(t, db.Flush(bg)) // nothing new: nothing to sync
	if n := db.syncs.Load(); n != 1 {
		t.Fatalf("log synced %d times, want 1", n)
	}
}
