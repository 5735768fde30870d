package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// XEP-0313's after-id and before-id (ArchiveQuery.AfterID, BeforeID)
// bound the range without setting a direction: forwards from after-id,
// the newest page with Latest, the narrower bound where RSM's After or
// Before is given too; an unknown one is ErrUnknownStanzaID; crossed
// bounds are an empty, complete range.
func TestQueryArchiveIDBounds(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	msgs := make([]ArchivedMessage, 10)
	for i := range msgs {
		msgs[i] = archMsg(i+1, archBase.Add(time.Duration(i)*time.Second))
	}
	res, err := db.AppendArchive(bg, testRoom, msgs)
	must(t, err)
	id := func(i int) string { return res[i].StanzaID }
	for _, c := range []struct {
		name     string
		q        ArchiveQuery
		want     []int
		complete bool
		count    int
	}{
		{"between, forwards", ArchiveQuery{AfterID: id(2), BeforeID: id(8), Max: 2}, []int{3, 4}, false, -1},
		{"between, the last page", ArchiveQuery{AfterID: id(2), BeforeID: id(8), Max: 2, Latest: true}, []int{6, 7}, false, -1},
		{"between, all", ArchiveQuery{AfterID: id(2), BeforeID: id(8)}, []int{3, 4, 5, 6, 7}, true, -1},
		{"before-id is no backwards paging", ArchiveQuery{BeforeID: id(8), Max: 3}, []int{0, 1, 2}, false, -1},
		{"RSM after within", ArchiveQuery{AfterID: id(2), BeforeID: id(8), After: id(5)}, []int{6, 7}, true, -1},
		{"after-id narrower than RSM after", ArchiveQuery{AfterID: id(5), After: id(2), Max: 2}, []int{6, 7}, false, -1},
		{"RSM before within", ArchiveQuery{AfterID: id(2), Before: id(6)}, []int{3, 4, 5}, true, -1},
		{"crossed", ArchiveQuery{AfterID: id(8), BeforeID: id(2)}, nil, true, -1},
		{"crossed, last page", ArchiveQuery{AfterID: id(8), BeforeID: id(2), Latest: true}, nil, true, -1},
		{"count between", ArchiveQuery{AfterID: id(2), BeforeID: id(8), CountOnly: true}, nil, true, 5},
	} {
		p, err := db.QueryArchive(bg, testRoom, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, m := range p.Messages {
			got = append(got, m.StanzaID)
		}
		var want []string
		for _, i := range c.want {
			want = append(want, id(i))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || p.Complete != c.complete || p.Count != c.count {
			t.Errorf("%s: %v complete=%v count=%d, want %v %v %d", c.name, got, p.Complete, p.Count, want, c.complete, c.count)
		}
	}
	for _, q := range []ArchiveQuery{{AfterID: "ffff-1"}, {BeforeID: id(1) + "0"}} {
		if _, err := db.QueryArchive(bg, testRoom, q); !errors.Is(err, ErrUnknownStanzaID) {
			t.Errorf("%+v: %v, want ErrUnknownStanzaID", q, err)
		}
	}
	if _, err := db.QueryArchive(bg, RoomKey{Transport: testRoom.Transport, UserJID: testRoom.UserJID, RoomID: "none"}, ArchiveQuery{AfterID: id(1)}); !errors.Is(err, ErrUnknownStanzaID) {
		t.Errorf("after-id in a room without archive: %v", err)
	}
}
