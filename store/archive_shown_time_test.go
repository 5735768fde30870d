package store

import (
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// A time bound matches a message by its shown time (Time, the copy's
// delay stamp) as well as by its arrival: a client scrolling back asks
// for what is older than the oldest time it shows (Dino: `end` and
// RSM <before/>), and a message the network delivered late (backfill
// after the gateway was away), placed after what arrived before it,
// must still be in that page. A catch-up `start` from the last time a
// client saw still gets it by its arrival. Results stay in archive
// order. The same from the log and, after a reopen, from bbolt.
func TestArchiveTimeBoundsShownTime(t *testing.T) {
	db := openTemp(t)
	at, live := archMinute, liveArch
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{live(10), live(11)})
	must(t, err)
	// Sent at 10:10:30 while the gateway was away; it came at 10:12,
	// within the archive's span: placed as arrived, after r11.
	late := archMsg(7, archBase)
	late.Time, late.Arrived, late.History = at(10).Add(30*time.Second), at(12), true
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{late})
	must(t, err)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{live(13)})
	must(t, err)
	for round := range 2 {
		// Dino, showing r11 (10:11) as its oldest, asks for older.
		page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{End: at(11).Add(-time.Nanosecond), Latest: true})
		must(t, err)
		if got, want := remoteIDs(page.Messages), []string{"r10", "r7"}; !slices.Equal(got, want) || !page.Complete {
			t.Errorf("round %d: older than 10:11: %v (complete %v), want %v", round, got, page.Complete, want)
		}
		// A catch-up since 10:11:30 gets the late one by its arrival.
		page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Start: at(11).Add(30 * time.Second)})
		must(t, err)
		if got, want := remoteIDs(page.Messages), []string{"r7", "r13"}; !slices.Equal(got, want) {
			t.Errorf("round %d: since 10:11:30: %v, want %v", round, got, want)
		}
		// A span that holds only its shown time.
		page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Start: at(10).Add(time.Second), End: at(10).Add(time.Minute - time.Second)})
		must(t, err)
		if got, want := remoteIDs(page.Messages), []string{"r7"}; !slices.Equal(got, want) {
			t.Errorf("round %d: within 10:10: %v, want %v", round, got, want)
		}
		page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{End: at(11).Add(-time.Nanosecond), CountOnly: true})
		must(t, err)
		if page.Count != 2 {
			t.Errorf("round %d: count older than 10:11: %d, want 2", round, page.Count)
		}
		db = reopen(t, db)
	}
}

// A room whose meta predates late/early (written by an older gateway)
// answers time bounds by its shown time too: the walk is the whole room
// until the next append learns them, and after.
func TestArchiveTimeBoundsOldMeta(t *testing.T) {
	db := openTemp(t)
	at := archMinute
	m := liveArch(10)
	late := archMsg(7, archBase)
	late.Time, late.Arrived = at(7), at(30) // a day's lateness would do the same
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{m, late})
	must(t, err)
	path := db.Path()
	must(t, db.Close())
	raw, err := bbolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, raw.Update(func(tx *bbolt.Tx) error {
		rb, err := roomBucketRW(tx, testRoom)
		if err != nil {
			return err
		}
		meta, err := rb.meta()
		if err != nil {
			return err
		}
		if !meta.spread || meta.late != uint64(23*time.Minute) {
			t.Errorf("meta as written: %+v", meta)
		}
		meta.spread, meta.late, meta.early = false, 0, 0
		return rb.room.Put(kArMeta, meta.encode())
	}))
	must(t, raw.Close())
	db = openAt(t, path, Options{})
	q := ArchiveQuery{End: at(8)}
	for _, step := range []string{"old meta", "learnt"} {
		page, err := db.QueryArchive(bg, testRoom, q)
		must(t, err)
		if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r7"}) {
			t.Errorf("%s: until 10:08: %v, want [r7]", step, got)
		}
		_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{liveArch(40)})
		must(t, err)
	}
}
