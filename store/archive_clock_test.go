package store

import (
	"slices"
	"testing"
	"time"
)

// TestArrivalClockBack: the archive is in arrival order, and a
// client catches up with MAM after the last stanza-id it saw. The
// arrival is the gateway's wall clock, which can step back (NTP
// correcting a fast clock, a VM resumed, a reboot with its RTC behind):
// a message that arrives after the step must still come after what a
// client has seen, or the catch-up misses it for good (it is placed
// before the last seen). Also across a restart. History (no arrival
// given) is still placed at its own time.
func TestArrivalClockBack(t *testing.T) {
	db := openTemp(t)
	at := func(n int) time.Time { return archBase.Add(time.Duration(n) * time.Minute) }
	live := func(n int, arrived time.Time) ArchivedMessage {
		m := archMsg(n, archBase)
		m.Time, m.Arrived = arrived, arrived
		return m
	}
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{live(10, at(10))})
	must(t, err)
	seen := res[0].StanzaID
	// The clock stepped back two minutes; the next message arrives.
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{live(11, at(8))})
	must(t, err)
	page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{After: seen})
	must(t, err)
	if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r11"}) {
		t.Errorf("after the last seen, once the clock stepped back: %v, want [r11]", got)
	}
	db = reopen(t, db)
	page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	seen = page.Last
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{live(12, at(5))})
	must(t, err)
	page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{After: seen})
	must(t, err)
	if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r12"}) {
		t.Errorf("after the last seen, the clock behind across a restart: %v, want [r12]", got)
	}
	// History scrolled back goes at its own time, before all of it.
	old := archMsg(1, archBase)
	old.Time = at(1)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{old})
	must(t, err)
	page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r1", "r10", "r11", "r12"}) {
		t.Errorf("archive order %v, want [r1 r10 r11 r12]", got)
	}
}
