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
