package store

import (
	"slices"
	"testing"
	"time"
)

// A message that reaches the gateway late (Arrived well after its Time)
// is placed by its arrival: a catch-up after the last stanza-id seen,
// or from a time a client last saw, gets it, with its own time kept.
// History (Arrived zero) is placed at its time. The same from the log
// and, after a reopen, from bbolt.
func TestArchiveArrivalOrder(t *testing.T) {
	db := openTemp(t)
	at, live := archMinute, liveArch
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{live(10), live(11)})
	must(t, err)
	seen := res[1].StanzaID // what a client saw last
	late := archMsg(5, archBase)
	late.Time, late.Arrived = at(5), at(12)
	old := archMsg(1, archBase) // scrolled back: no arrival
	old.Time = at(1)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{late, old})
	must(t, err)
	for round := range 2 {
		page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
		must(t, err)
		if got, want := remoteIDs(page.Messages), []string{"r1", "r10", "r11", "r5"}; !slices.Equal(got, want) {
			t.Errorf("round %d: archive order %v, want %v", round, got, want)
		}
		page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{After: seen})
		must(t, err)
		if len(page.Messages) != 1 || page.Messages[0].RemoteID != "r5" || !page.Messages[0].Time.Equal(at(5)) || !page.Messages[0].Arrived.Equal(at(12)) {
			t.Errorf("round %d: after the last seen: %+v", round, page.Messages)
		}
		page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Start: at(11).Add(time.Second)})
		must(t, err)
		if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r5"}) {
			t.Errorf("round %d: since after the last seen: %v", round, got)
		}
		page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{End: at(2)})
		must(t, err)
		if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r1"}) || !page.Messages[0].Arrived.Equal(at(1)) {
			t.Errorf("round %d: history by its own time: %v", round, page.Messages)
		}
		m, err := db.LookupArchivedRemote(bg, testRoom, "r5")
		if err != nil || !m.Time.Equal(at(5)) || !m.Arrived.Equal(at(12)) {
			t.Errorf("round %d: lookup of the late one: %+v, %v", round, m, err)
		}
		db = reopen(t, db)
	}
}

// A log written before the archive kept arrivals (kind recArchive, no
// arrival field) is still read: each message arrived at its time.
func TestArchiveOldLogRecord(t *testing.T) {
	at := time.Unix(1700000000, 5).UTC()
	e := &enc{b: []byte{recArchive}}
	e.str("wa")
	e.str("u@example.org")
	e.str("g")
	e.uvarint(1)
	e.uvarint(7)
	e.time(at)
	e.str("n")
	e.str("s@example.org")
	e.str("m2")
	e.bytes([]byte("<message/>"))
	r, err := decodeHotRec(e.b)
	if err != nil {
		t.Fatal(err)
	}
	if m := r.ar.msg; r.kind != recArchive || !m.Time.Equal(at) || !m.Arrived.Equal(at) || m.RemoteID != "m2" || string(m.Payload) != "<message/>" || m.StanzaID != "1-7" {
		t.Errorf("old record read as %d %+v", r.kind, m)
	}
}

// History given an arrival (a network's catch-up) goes before the
// archive when it is older than the archive's first message, at its own
// time, where a client scrolling back finds it; within the archive's
// span (a gap while the gateway was away) it goes as arrived, where a
// client catching up after the last stanza-id finds it. The same after a
// reopen, which reads the archive's first place from bbolt.
func TestArchiveHistoryPlacement(t *testing.T) {
	db := openTemp(t)
	at := func(n int) time.Time { return archBase.Add(time.Duration(n) * time.Minute) }
	msg := func(n int, history bool, arrived int) ArchivedMessage {
		m := archMsg(n, archBase)
		m.Time, m.Arrived, m.History = at(n), at(arrived), history
		return m
	}
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{msg(10, false, 10), msg(20, false, 20)})
	must(t, err)
	for round, b := range [][]ArchivedMessage{
		{msg(5, true, 30), msg(15, true, 30)},   // older than the archive; within it
		{msg(3, true, 40), msg(12, true, 40)},   // after a reopen: the same
		{msg(25, false, 50), msg(4, false, 50)}, // live, late: as arrived, whatever their time
	} {
		if round == 1 {
			db = reopen(t, db)
		}
		_, err := db.AppendArchive(bg, testRoom, b)
		must(t, err)
	}
	page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if got, want := remoteIDs(page.Messages), []string{"r3", "r5", "r10", "r20", "r15", "r12", "r25", "r4"}; !slices.Equal(got, want) {
		t.Errorf("archive order %v, want %v", got, want)
	}
	for _, m := range page.Messages[:2] {
		if !m.Arrived.Equal(m.Time) {
			t.Errorf("history older than the archive placed at %v, not at its time %v", m.Arrived, m.Time)
		}
	}
	if m := page.Messages[4]; !m.Arrived.Equal(at(30)) || !m.Time.Equal(at(15)) {
		t.Errorf("history within the archive: %+v", m)
	}

	// Into an empty archive, a batch of history goes at its times, the
	// whole batch (its first message does not become the archive's start
	// the rest would go before).
	empty := RoomKey{Transport: "wa", UserJID: "alice@example.org", RoomID: "g2"}
	_, err = db.AppendArchive(bg, empty, []ArchivedMessage{msg(1, true, 60), msg(2, true, 60), msg(3, true, 60)})
	must(t, err)
	// Then a live message, and history since it: as arrived.
	_, err = db.AppendArchive(bg, empty, []ArchivedMessage{msg(4, false, 61), msg(65, true, 66), msg(5, true, 67)})
	must(t, err)
	page, err = db.QueryArchive(bg, empty, ArchiveQuery{})
	must(t, err)
	if got, want := remoteIDs(page.Messages), []string{"r1", "r2", "r3", "r5", "r4", "r65"}; !slices.Equal(got, want) || !page.Messages[2].Arrived.Equal(at(3)) || !page.Messages[5].Arrived.Equal(at(66)) {
		t.Errorf("history into an empty archive: %v, %+v", got, page.Messages)
	}
}
