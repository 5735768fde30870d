package store

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testRoom = RoomKey{Transport: "wa", UserJID: "alice@example.org", RoomID: "g1"}

// archMsg is message n of a test archive: sender s<n%3>, time base+n s.
func archMsg(n int, base time.Time) ArchivedMessage {
	return ArchivedMessage{
		Time:      base.Add(time.Duration(n) * time.Second),
		Nick:      fmt.Sprint("nick", n%3),
		SenderJID: fmt.Sprintf("s%d@wa.example.org", n%3),
		RemoteID:  fmt.Sprint("r", n),
		Payload:   []byte(fmt.Sprintf("<message type='groupchat'><body>%d</body></message>", n)),
	}
}

var archBase = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// archMinute is archBase plus n minutes.
func archMinute(n int) time.Time { return archBase.Add(time.Duration(n) * time.Minute) }

// liveArch is message n of archMsg shown, and arrived, at archMinute(n):
// a live message.
func liveArch(n int) ArchivedMessage {
	m := archMsg(n, archBase)
	m.Time, m.Arrived = archMinute(n), archMinute(n)
	return m
}

// fillArchive appends messages 0..n-1 of room, in batches of batch, the
// second half of each batch first (older messages after newer ones, as
// backfill brings them). It returns the remote IDs in time order.
func fillArchive(t testing.TB, db *DB, room RoomKey, n, batch int) []string {
	t.Helper()
	for from := 0; from < n; from += batch {
		var msgs []ArchivedMessage
		to := min(from+batch, n)
		mid := (from + to) / 2
		for i := mid; i < to; i++ {
			msgs = append(msgs, archMsg(i, archBase))
		}
		for i := from; i < mid; i++ {
			msgs = append(msgs, archMsg(i, archBase))
		}
		res, err := db.AppendArchive(bg, room, msgs)
		must(t, err)
		for i, r := range res {
			if r.Duplicate || r.StanzaID == "" {
				t.Fatalf("append %d: %+v", from+i, r)
			}
		}
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint("r", i)
	}
	return want
}

func remoteIDs(ms []ArchivedMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.RemoteID
	}
	return out
}

// pageAll pages through q's range forwards (or backwards with latest)
// and returns every message's remote ID in time order, checking that
// only the last page says complete.
func pageAll(t *testing.T, db *DB, room RoomKey, q ArchiveQuery, latest bool) []string {
	t.Helper()
	var got []string
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		q.Latest = latest
		p, err := db.QueryArchive(bg, room, q)
		must(t, err)
		if pageMax := cmp.Or(q.Max, DefaultArchivePage); len(p.Messages) > pageMax {
			t.Fatalf("page of %d, max %d", len(p.Messages), q.Max)
		}
		for _, m := range p.Messages {
			if seen[m.StanzaID] {
				t.Fatalf("stanza-id %s twice", m.StanzaID)
			}
			seen[m.StanzaID] = true
		}
		if len(p.Messages) > 0 && (p.First != p.Messages[0].StanzaID || p.Last != p.Messages[len(p.Messages)-1].StanzaID) {
			t.Fatalf("first/last %s/%s do not match the page", p.First, p.Last)
		}
		if latest {
			got = append(remoteIDs(p.Messages), got...)
			q.Before = p.First
		} else {
			got = append(got, remoteIDs(p.Messages)...)
			q.After = p.Last
		}
		if p.Complete {
			return got
		}
		if len(p.Messages) == 0 {
			t.Fatal("empty page not complete")
		}
	}
}

// TestArchivePaging: pages of any size, forwards from the oldest and
// backwards from the newest, cover the room in time order with no gap
// nor repeat, whether the appends are in the log, in bbolt or reopened;
// out-of-order appends (backfill) take their place by time.
func TestArchivePaging(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	want := fillArchive(t, db, testRoom, 503, 40)
	check := func(where string) {
		t.Helper()
		for _, max := range []int{1, 7, 50, 600} {
			if got := pageAll(t, db, testRoom, ArchiveQuery{Max: max}, false); !slices.Equal(got, want) {
				t.Errorf("%s: forward by %d: %d messages, want %d in order", where, max, len(got), len(want))
			}
			if got := pageAll(t, db, testRoom, ArchiveQuery{Max: max}, true); !slices.Equal(got, want) {
				t.Errorf("%s: backward by %d: %d messages, want %d in order", where, max, len(got), len(want))
			}
		}
		p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{Latest: true})
		must(t, err)
		if p.Count != 503 || len(p.Messages) != DefaultArchivePage || p.Messages[49].RemoteID != "r502" || p.Complete {
			t.Errorf("%s: newest page: count %d, %d messages, last %s, complete %v", where, p.Count, len(p.Messages), p.Last, p.Complete)
		}
		p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Max: 10000})
		must(t, err)
		if len(p.Messages) != MaxArchivePage {
			t.Errorf("%s: max not capped: %d", where, len(p.Messages))
		}
		// Between two ids.
		a, b := p.Messages[10].StanzaID, p.Messages[20].StanzaID
		p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{After: a, Before: b})
		must(t, err)
		if got := remoteIDs(p.Messages); !slices.Equal(got, want[11:20]) || !p.Complete {
			t.Errorf("%s: between %s and %s: %v complete %v", where, a, b, got, p.Complete)
		}
	}
	if !db.roomLogged(testRoom) {
		t.Fatal("hotOnly appends are not in the log")
	}
	check("in the log") // the first query checkpoints the room
	if db.roomLogged(testRoom) {
		t.Fatal("a query left the room's appends in the log")
	}
	must(t, db.Flush(bg))
	check("in bbolt")
	db = reopen(t, db)
	check("reopened")
	// Appends go on after the reopen with new ids.
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(503, archBase)})
	must(t, err)
	m, err := db.LookupArchived(bg, testRoom, res[0].StanzaID)
	if err != nil || m.RemoteID != "r503" {
		t.Errorf("new append after reopen: %+v, %v", m, err)
	}
	if got := pageAll(t, db, testRoom, ArchiveQuery{Max: 100}, true); len(got) != 504 {
		t.Errorf("after a new append: %d messages", len(got))
	}
}

// TestArchiveTimeAndWith: Start and End are inclusive; With keeps one
// sender's messages, paged as the whole room is.
func TestArchiveTimeAndWith(t *testing.T) {
	db := openTemp(t)
	want := fillArchive(t, db, testRoom, 300, 100)
	at := func(n int) time.Time { return archBase.Add(time.Duration(n) * time.Second) }
	got := pageAll(t, db, testRoom, ArchiveQuery{Start: at(100), End: at(199), Max: 30}, false)
	if !slices.Equal(got, want[100:200]) {
		t.Errorf("start/end forward: %d messages %v...", len(got), got[:min(3, len(got))])
	}
	got = pageAll(t, db, testRoom, ArchiveQuery{Start: at(100), End: at(199), Max: 30}, true)
	if !slices.Equal(got, want[100:200]) {
		t.Errorf("start/end backward: %d messages", len(got))
	}
	p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{Start: at(100), End: at(199)})
	must(t, err)
	if p.Count != -1 {
		t.Errorf("count of a time range: %d, want -1 (not cheap)", p.Count)
	}
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Start: at(100), End: at(199), CountOnly: true})
	must(t, err)
	if p.Count != 100 || len(p.Messages) != 0 {
		t.Errorf("count only: %d, %d messages", p.Count, len(p.Messages))
	}
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{CountOnly: true})
	must(t, err)
	if p.Count != 300 || len(p.Messages) != 0 {
		t.Errorf("count only, whole room: %d, %d messages", p.Count, len(p.Messages))
	}
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{CountOnly: true, With: "s1@wa.example.org", End: at(29)})
	must(t, err)
	if p.Count != 10 {
		t.Errorf("count only, with and end: %d, want 10", p.Count)
	}
	var s1 []string
	for i := 1; i < 300; i += 3 {
		s1 = append(s1, want[i])
	}
	with := "s1@wa.example.org"
	if got := pageAll(t, db, testRoom, ArchiveQuery{With: with, Max: 9}, false); !slices.Equal(got, s1) {
		t.Errorf("with forward: %d messages", len(got))
	}
	if got := pageAll(t, db, testRoom, ArchiveQuery{With: with, Max: 9}, true); !slices.Equal(got, s1) {
		t.Errorf("with backward: %d messages", len(got))
	}
	got = pageAll(t, db, testRoom, ArchiveQuery{With: with, Start: at(150), End: at(160), Max: 2}, false)
	if !slices.Equal(got, []string{"r151", "r154", "r157", "r160"}) {
		t.Errorf("with and time: %v", got)
	}
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{With: "nobody@x"})
	must(t, err)
	if len(p.Messages) != 0 || !p.Complete {
		t.Errorf("unknown sender: %+v", p)
	}
	// An empty range and a room without archive are empty and complete.
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Start: at(400)})
	must(t, err)
	if len(p.Messages) != 0 || !p.Complete || p.First != "" {
		t.Errorf("empty range: %+v", p)
	}
	p, err = db.QueryArchive(bg, RoomKey{"wa", "alice@example.org", "other"}, ArchiveQuery{Latest: true})
	must(t, err)
	if len(p.Messages) != 0 || !p.Complete || p.Count != 0 {
		t.Errorf("room without archive: %+v", p)
	}
	// Rooms are per user.
	p, err = db.QueryArchive(bg, RoomKey{"wa", "bob@example.org", "g1"}, ArchiveQuery{})
	must(t, err)
	if len(p.Messages) != 0 {
		t.Errorf("another user sees %d messages of alice's room", len(p.Messages))
	}
}

// TestArchiveIDs: duplicates keep their first stanza-id, lookups work by
// stanza-id and remote ID, and an unknown or malformed stanza-id is
// ErrUnknownStanzaID (an ErrNotFound).
func TestArchiveIDs(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase), archMsg(2, archBase), archMsg(1, archBase)})
	must(t, err)
	if res[0].Duplicate || res[1].Duplicate || !res[2].Duplicate || res[2].StanzaID != res[0].StanzaID || res[0].StanzaID == res[1].StanzaID {
		t.Fatalf("appends: %+v", res)
	}
	for _, where := range []string{"log", "bbolt"} {
		again, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(2, archBase), {Payload: []byte("x")}, {Payload: []byte("y")}})
		must(t, err)
		if !again[0].Duplicate || again[0].StanzaID != res[1].StanzaID || again[1].Duplicate || again[2].Duplicate {
			t.Errorf("%s: append again: %+v", where, again)
		}
		m, err := db.LookupArchived(bg, testRoom, res[1].StanzaID)
		if err != nil || m.RemoteID != "r2" || m.Nick != "nick2" || m.SenderJID != "s2@wa.example.org" ||
			!m.Time.Equal(archBase.Add(2*time.Second)) || string(m.Payload) != string(archMsg(2, archBase).Payload) {
			t.Errorf("%s: lookup: %+v, %v", where, m, err)
		}
		m, err = db.LookupArchivedRemote(bg, testRoom, "r1")
		if err != nil || m.StanzaID != res[0].StanzaID {
			t.Errorf("%s: lookup by remote ID: %+v, %v", where, m, err)
		}
		must(t, db.Flush(bg))
	}
	epoch, _, _ := parseStanzaID(res[0].StanzaID)
	other := stanzaID(epoch+2, 1)
	for _, bad := range []string{"nope", "1", "-1", res[0].StanzaID + "0", stanzaID(epoch, 999), other,
		"0" + res[0].StanzaID, strings.Replace(res[0].StanzaID, "-", "-0", 1), stanzaID(epoch, 0), strings.Repeat("9", 60)} {
		_, err := db.QueryArchive(bg, testRoom, ArchiveQuery{After: bad})
		if !errors.Is(err, ErrUnknownStanzaID) || !errors.Is(err, ErrNotFound) {
			t.Errorf("after %q: %v, want ErrUnknownStanzaID", bad, err)
		}
		_, err = db.QueryArchive(bg, testRoom, ArchiveQuery{Before: bad})
		if !errors.Is(err, ErrUnknownStanzaID) {
			t.Errorf("before %q: %v, want ErrUnknownStanzaID", bad, err)
		}
		if _, err := db.LookupArchived(bg, testRoom, bad); !errors.Is(err, ErrUnknownStanzaID) {
			t.Errorf("lookup %q: %v, want ErrUnknownStanzaID", bad, err)
		}
	}
	// A stanza-id of one room is unknown in another.
	if _, err := db.QueryArchive(bg, RoomKey{"wa", "alice@example.org", "g2"}, ArchiveQuery{After: res[0].StanzaID}); !errors.Is(err, ErrUnknownStanzaID) {
		t.Errorf("id of another room: %v", err)
	}
	if _, err := db.LookupArchivedRemote(bg, testRoom, "r-none"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnknownStanzaID) {
		t.Errorf("unknown remote ID: %v", err)
	}
}

// TestArchiveEdits: a correction replaces the payload in place; a
// deletion drops the message from every index; both find the message in
// the log as well as in bbolt.
func TestArchiveEdits(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase), archMsg(2, archBase), archMsg(4, archBase)})
	must(t, err)
	// Right after the append, while it is only in the log.
	must(t, db.ReplaceArchived(bg, testRoom, "r1", []byte("<message>edited</message>")))
	m, err := db.LookupArchived(bg, testRoom, res[0].StanzaID)
	if err != nil || string(m.Payload) != "<message>edited</message>" || m.RemoteID != "r1" {
		t.Errorf("replaced: %+v, %v", m, err)
	}
	must(t, db.DeleteArchived(bg, testRoom, "r2"))
	if _, err := db.LookupArchived(bg, testRoom, res[1].StanzaID); !errors.Is(err, ErrUnknownStanzaID) {
		t.Errorf("deleted message's id: %v", err)
	}
	if _, err := db.LookupArchivedRemote(bg, testRoom, "r2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted message's remote ID: %v", err)
	}
	p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{With: "s2@wa.example.org"})
	must(t, err)
	if len(p.Messages) != 0 {
		t.Errorf("deleted message still in the with index: %+v", p.Messages)
	}
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if got := remoteIDs(p.Messages); !slices.Equal(got, []string{"r1", "r4"}) || p.Count != 2 {
		t.Errorf("after edits: %v, count %d", got, p.Count)
	}
	for _, err := range []error{
		db.ReplaceArchived(bg, testRoom, "r2", []byte("x")),
		db.DeleteArchived(bg, testRoom, "r9"),
		db.ReplaceArchived(bg, RoomKey{"wa", "x@y", "none"}, "r1", []byte("x")),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("edit of an unknown message: %v", err)
		}
	}
	if err := db.ReplaceArchived(bg, testRoom, "r1", make([]byte, MaxArchivePayload+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("oversized replacement: %v", err)
	}
	db = reopen(t, db)
	m, err = db.LookupArchivedRemote(bg, testRoom, "r1")
	if err != nil || string(m.Payload) != "<message>edited</message>" {
		t.Errorf("replaced, reopened: %+v, %v", m, err)
	}
	// An appended remote ID that was deleted can come back.
	again, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(2, archBase)})
	must(t, err)
	if again[0].Duplicate || again[0].StanzaID == res[1].StanzaID {
		t.Errorf("append after delete: %+v", again)
	}
}

// TestArchivePrune: retention by count and by age keeps the newest
// messages, works in slices of PruneChunk, and leaves no index entry of a
// pruned message behind.
func TestArchivePrune(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), Options{PruneChunk: 7})
	other := RoomKey{"wa", "alice@example.org", "g2"}
	want := fillArchive(t, db, testRoom, 100, 30)
	fillArchive(t, db, other, 10, 10)
	commits := db.commits.Load()
	n, err := db.PruneArchive(bg, testRoom, ArchiveRetention{MaxMessages: 60}, time.Now())
	must(t, err)
	if n != 40 {
		t.Errorf("pruned %d by count, want 40", n)
	}
	if c := db.commits.Load() - commits; c < 40/7 {
		t.Errorf("pruning 40 in slices of 7 took %d transactions", c)
	}
	if got := pageAll(t, db, testRoom, ArchiveQuery{Max: 50}, false); !slices.Equal(got, want[40:]) {
		t.Errorf("after count pruning: %d messages from %v", len(got), got[:1])
	}
	// By age: messages before base+70 s go.
	now := archBase.Add(70*time.Second + 24*time.Hour)
	n, err = db.PruneArchive(bg, testRoom, ArchiveRetention{MaxAge: 24 * time.Hour}, now)
	must(t, err)
	if n != 30 {
		t.Errorf("pruned %d by age, want 30", n)
	}
	p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{Max: 100})
	must(t, err)
	if got := remoteIDs(p.Messages); !slices.Equal(got, want[70:]) || p.Count != 30 {
		t.Errorf("after age pruning: %v, count %d", got, p.Count)
	}
	if _, err := db.LookupArchivedRemote(bg, testRoom, "r5"); !errors.Is(err, ErrNotFound) {
		t.Errorf("pruned remote ID: %v", err)
	}
	p, err = db.QueryArchive(bg, testRoom, ArchiveQuery{With: "s0@wa.example.org", Max: 100, CountOnly: true})
	must(t, err)
	if p.Count != 10 { // 72, 75, ..., 99
		t.Errorf("with index after pruning: %d entries, want 10", p.Count)
	}
	// Nothing more to prune; the other room is untouched.
	if n, err := db.PruneArchive(bg, testRoom, ArchiveRetention{MaxAge: 24 * time.Hour, MaxMessages: 60}, now); n != 0 || err != nil {
		t.Errorf("second prune: %d, %v", n, err)
	}
	if got := pageAll(t, db, other, ArchiveQuery{}, false); len(got) != 10 {
		t.Errorf("other room: %d messages", len(got))
	}
	rooms, err := db.ArchiveRooms("wa")
	must(t, err)
	if len(rooms) != 2 || rooms[0] != testRoom || rooms[1] != other {
		t.Errorf("rooms: %+v", rooms)
	}
	if _, err := db.PruneArchive(bg, testRoom, ArchiveRetention{MaxAge: -1}, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative retention: %v", err)
	}
}

// TestArchivePruneCancelled: a prune whose context ends while its write
// runs returns without reading what the writer is still writing (under
// -race: a data race on the prune's count before, found by the bridge's
// TestRoomRetentionCommand, its command's context ended at a stop).
func TestArchivePruneCancelled(t *testing.T) {
	db := openTemp(t)
	for i := range 10 {
		room := RoomKey{Transport: "wa", UserJID: "alice@example.org", RoomID: fmt.Sprint("c", i)}
		fillArchive(t, db, room, 20, 20)
		cancelWhileRunning(t, db, func(ctx context.Context) error {
			_, err := db.PruneArchive(ctx, room, ArchiveRetention{MaxMessages: 5}, time.Now())
			return err
		})
	}
}

// TestArchiveBadInput: bad appends and queries are refused with clear
// errors and store nothing of their call.
func TestArchiveBadInput(t *testing.T) {
	db := openTemp(t)
	big := archMsg(2, archBase)
	big.Payload = bytes.Repeat([]byte("x"), MaxArchivePayload+1)
	_, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase), big})
	if !errors.Is(err, ErrPayloadTooLarge) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("oversized payload: %v", err)
	}
	ok := archMsg(3, archBase)
	ok.Payload = bytes.Repeat([]byte("x"), MaxArchivePayload)
	cases := map[string]struct {
		room RoomKey
		msg  ArchivedMessage
	}{
		"empty payload": {testRoom, ArchivedMessage{}},
		"empty room":    {RoomKey{"wa", "a@b", ""}, archMsg(1, archBase)},
		"empty user":    {RoomKey{"wa", "", "g"}, archMsg(1, archBase)},
		"NUL in room":   {RoomKey{"wa", "a@b", "g\x00"}, archMsg(1, archBase)},
		"NUL in nick":   {testRoom, ArchivedMessage{Nick: "a\x00", Payload: []byte("x")}},
		"long remote":   {testRoom, ArchivedMessage{RemoteID: strings.Repeat("r", MaxKeyPart+1), Payload: []byte("x")}},
	}
	for name, c := range cases {
		if _, err := db.AppendArchive(bg, c.room, []ArchivedMessage{c.msg}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if len(p.Messages) != 0 {
		t.Errorf("a refused batch stored %d messages", len(p.Messages))
	}
	if _, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{ok}); err != nil {
		t.Errorf("payload of exactly the limit: %v", err)
	}
	if _, err := db.QueryArchive(bg, testRoom, ArchiveQuery{Max: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative max: %v", err)
	}
	if _, err := db.QueryArchive(bg, testRoom, ArchiveQuery{With: "a\x00"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NUL in with: %v", err)
	}
	if _, err := db.QueryArchive(bg, testRoom, ArchiveQuery{After: strings.Repeat("1", MaxKeyPart+1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("over-long after: %v", err)
	}
}

// TestArchiveDeleteLogin: removing a user forgets their archives, not
// another user's; the room archived again later hands out new ids.
func TestArchiveDeleteLogin(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	seedLogin(t, db, "wa", "alice@example.org", "L1")
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "bob@example.org", LoginID: "L1"})) // same network account
	bob := RoomKey{"wa", "bob@example.org", "g1"}
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase)})
	must(t, err)
	_, err = db.AppendArchive(bg, bob, []ArchivedMessage{archMsg(1, archBase)})
	must(t, err)
	must(t, db.DeleteLogin(bg, "wa", "alice@example.org"))
	p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{})
	must(t, err)
	if len(p.Messages) != 0 {
		t.Errorf("alice's archive after DeleteLogin: %d messages", len(p.Messages))
	}
	if _, err := db.LookupArchived(bg, testRoom, res[0].StanzaID); !errors.Is(err, ErrUnknownStanzaID) {
		t.Errorf("old id: %v", err)
	}
	if got := pageAll(t, db, bob, ArchiveQuery{}, false); len(got) != 1 {
		t.Errorf("bob's archive: %v", got)
	}
	again, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase)})
	must(t, err)
	if again[0].Duplicate || again[0].StanzaID == res[0].StanzaID {
		t.Errorf("archived again: %+v, old id %s", again, res[0].StanzaID)
	}
	// DeleteArchive drops one room.
	must(t, db.DeleteArchive(bg, bob))
	if got := pageAll(t, db, bob, ArchiveQuery{}, false); len(got) != 0 {
		t.Errorf("bob's archive after DeleteArchive: %v", got)
	}
	db = reopen(t, db)
	if got := pageAll(t, db, testRoom, ArchiveQuery{}, false); len(got) != 1 {
		t.Errorf("alice's new archive after reopen: %v", got)
	}
}

// TestArchiveOnStoreWrittenBeforeIt: a file of schema 1 without the
// archive bucket opens, takes archives and is reported by check-store.
func TestArchiveOnStoreWrittenBeforeIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v1.db")
	copyTestdataV1(t, path)
	db := openAt(t, path, Options{})
	if p, err := db.QueryArchive(bg, testRoom, ArchiveQuery{}); err != nil || len(p.Messages) != 0 {
		t.Fatalf("old file: %+v, %v", p, err)
	}
	fillArchive(t, db, testRoom, 20, 20)
	db = reopen(t, db)
	if got := pageAll(t, db, testRoom, ArchiveQuery{}, true); len(got) != 20 {
		t.Errorf("archive in an old file after reopen: %d messages", len(got))
	}
	if l, err := db.GetLogin("wa", "alice@example.org"); err != nil || l.LoginID != "L1" {
		t.Errorf("old login: %+v, %v", l, err)
	}
	must(t, db.Close())
	rep, err := Inspect(path, time.Second)
	if err != nil || rep.Damaged() {
		t.Fatalf("check-store: %v, %+v", err, rep)
	}
	var text strings.Builder
	must(t, rep.WriteText(&text))
	if !strings.Contains(text.String(), "20 archived messages in 1 room") {
		t.Errorf("check-store report:\n%s", text.String())
	}
}

// copyTestdataV1 puts the schema-1 test file written before v2, with its
// log, at path.
func copyTestdataV1(t *testing.T, path string) {
	t.Helper()
	zf, err := os.Open("testdata/v1.db.gz")
	must(t, err)
	defer zf.Close()
	zr, err := gzip.NewReader(zf)
	must(t, err)
	raw, err := io.ReadAll(zr)
	must(t, err)
	must(t, os.WriteFile(path, raw, 0o600))
	wal, err := os.ReadFile("testdata/v1.db.wal.2")
	must(t, err)
	must(t, os.WriteFile(path+".wal.2", wal, 0o600))
}

// TestArchiveConcurrent: appends from many goroutines to two rooms,
// queried and pruned meanwhile, hand out each id once and lose nothing
// that retention keeps.
func TestArchiveConcurrent(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), Options{CheckpointRecords: 64, CheckpointInterval: 5 * time.Millisecond, PruneChunk: 16})
	rooms := []RoomKey{testRoom, {"wa", "bob@example.org", "g1"}}
	const writers, each = 8, 40
	var wg sync.WaitGroup
	ids := make([][]string, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := archMsg(w*each+i, archBase)
				res, err := db.AppendArchive(bg, rooms[w%2], []ArchivedMessage{m})
				if err != nil {
					t.Error(err)
					return
				}
				ids[w] = append(ids[w], res[0].StanzaID)
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.QueryArchive(bg, rooms[0], ArchiveQuery{Latest: true, Max: 10}); err != nil {
				t.Error(err)
				return
			}
			if _, err := db.PruneArchive(bg, rooms[1], ArchiveRetention{MaxMessages: 1000}, time.Now()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	for r, room := range rooms {
		got := pageAll(t, db, room, ArchiveQuery{Max: 33}, false)
		if len(got) != writers/2*each {
			t.Errorf("room %d: %d messages, want %d", r, len(got), writers/2*each)
		}
	}
	seen := map[string]bool{}
	for w := range writers {
		for _, id := range ids[w] {
			k := fmt.Sprint(w%2, id)
			if seen[k] {
				t.Errorf("id %s handed out twice in room %d", id, w%2)
			}
			seen[k] = true
		}
	}
}
