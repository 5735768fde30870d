package store

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Keeps and CompareArchived, for messages found by stanza-id, agree with
// QueryArchive: the messages it keeps for a sender and time bounds, in
// its order, also where arrivals tie and the stanza-ids' sequence
// numbers cross a digit (9 before 10, which the strings do not say).
func TestArchiveKeepsAndOrderAsQuery(t *testing.T) {
	db := openAt(t, t.TempDir()+"/a.db", hotOnly)
	msgs := make([]ArchivedMessage, 12)
	for i := range msgs {
		msgs[i] = archMsg(i+1, archBase)
		msgs[i].Arrived = archBase.Add(time.Duration(i/6) * time.Minute) // two ties of six
	}
	res, err := db.AppendArchive(bg, testRoom, msgs)
	must(t, err)
	var found []ArchivedMessage
	for i := len(res) - 1; i >= 0; i-- { // newest first: the sort must do the work
		m, err := db.LookupArchived(bg, testRoom, res[i].StanzaID)
		must(t, err)
		found = append(found, m)
	}
	ids := func(ms []ArchivedMessage) string {
		var s []string
		for _, m := range ms {
			s = append(s, m.StanzaID)
		}
		return fmt.Sprint(s)
	}
	for _, q := range []ArchiveQuery{
		{},
		{With: "s1@wa.example.org"},
		{Start: archBase.Add(4 * time.Second), End: archBase.Add(9 * time.Second)},
		{End: archBase.Add(30 * time.Second)},
		{Start: archBase.Add(time.Minute), With: "s2@wa.example.org"},
	} {
		q.Max = MaxArchivePage
		want, err := db.QueryArchive(bg, testRoom, q)
		must(t, err)
		var got []ArchivedMessage
		for i := range found {
			if q.Keeps(&found[i]) {
				got = append(got, found[i])
			}
		}
		slices.SortFunc(got, func(a, b ArchivedMessage) int { return CompareArchived(&a, &b) })
		if ids(got) != ids(want.Messages) {
			t.Errorf("%+v: Keeps and CompareArchived give %s, QueryArchive %s", q, ids(got), ids(want.Messages))
		}
	}
}
