package store

import (
	"slices"
	"testing"
	"time"
)

// TestLiveAfterHistoryAhead: a live message is placed after what
// a client saw, also when that was history stamped ahead of the
// gateway's clock (the network's clock a little fast, or the gateway's
// behind): the room's latest arrival counts history too, as it does
// once read back from disk after a restart. Before, in the running
// process, only live appends counted: the live message went before the
// history a client had seen last, and its MAM catch-up after that
// stanza-id missed it for good.
func TestLiveAfterHistoryAhead(t *testing.T) {
	db := openTemp(t)
	at := func(n int) time.Time { return archBase.Add(time.Duration(n) * time.Minute) }
	hist := archMsg(1, archBase)
	hist.Time = at(2) // the network's time, ahead of the gateway's
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{hist})
	must(t, err)
	page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	seen := page.Last
	live := archMsg(2, archBase)
	live.Time, live.Arrived = at(1), at(1)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{live})
	must(t, err)
	page, err = db.QueryArchive(bg, testRoom, ArchiveQuery{After: seen})
	must(t, err)
	if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r2"}) {
		t.Errorf("after the last seen (history ahead of the clock): %v, want [r2]", got)
	}
}

// TestHistoryFarAheadNotPinning: history stamped far in the future (a
// sender's clock a year fast) that comes into an empty archive goes at
// its arrival, not at its time: else every later live message of the
// room was placed a year ahead (the latest place counts history), and a
// client catching up by time, or pruning by age, saw the wrong times.
func TestHistoryFarAheadNotPinning(t *testing.T) {
	db := openTemp(t)
	hist := archMsg(1, archBase)
	hist.Time, hist.Arrived, hist.History = archBase.AddDate(1, 0, 0), archBase, true
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{hist})
	must(t, err)
	live := archMsg(2, archBase)
	live.Time, live.Arrived = archBase.Add(time.Minute), archBase.Add(time.Minute)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{live})
	must(t, err)
	page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("archive holds %v, want [r1 r2]", got)
	}
	if a := page.Messages[0].Arrived; !a.Equal(archBase) {
		t.Errorf("the history a year ahead placed at %v, want its arrival %v", a, archBase)
	}
	if a := page.Messages[1].Arrived; !a.Equal(live.Arrived) {
		t.Errorf("the live message after it placed at %v, want its arrival %v", a, live.Arrived)
	}
}

// TestScrollBackFarAheadNotPinning: a scroll-back message (no arrival:
// placed at its time) stamped far in the future goes no later than it
// came, as history does (TestHistoryFarAheadNotPinning): else the
// room's latest place, which counts it, put every later live message of
// the room a year ahead.
func TestScrollBackFarAheadNotPinning(t *testing.T) {
	db := openTemp(t)
	before := time.Now()
	sb := archMsg(1, before)
	sb.Time = before.AddDate(1, 0, 0) // no Arrived: a scroll-back
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{sb})
	must(t, err)
	after := time.Now()
	live := archMsg(2, after)
	live.Time, live.Arrived = after.Add(time.Minute), after.Add(time.Minute)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{live})
	must(t, err)
	page, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if got := remoteIDs(page.Messages); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("archive holds %v, want [r1 r2]", got)
	}
	if a := page.Messages[0].Arrived; a.After(after) {
		t.Errorf("the scroll-back a year ahead placed at %v, want no later than its coming (%v)", a, after)
	}
	if a := page.Messages[1].Arrived; !a.Equal(live.Arrived.UTC().Round(0)) {
		t.Errorf("the live message after it placed at %v, want its arrival %v", a, live.Arrived)
	}
}
