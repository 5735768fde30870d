package store

import (
	"errors"
	"testing"
	"time"
)

// MoveContact moves a contact's puppet and direct chat to its new ID: the
// message map answers by remote and XMPP IDs under the new chat with the
// same metadata, dedup keys and the backfill cursor follow, the old chat
// has nothing left; entries still only in the write-ahead log move too;
// a second move finds nothing to move; it survives a reopen; pruning
// still reaches the moved entries.
func TestMoveContact(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	at := time.Now().Add(-time.Hour).UTC().Round(0)
	must(t, db.PutPuppets(bg, []Puppet{{Transport: tr, LoginID: login, UserID: "lid1", Name: "Alice"}, {Transport: tr, LoginID: login, UserID: "other", Name: "Bob"}}))
	must(t, db.PutMessages(bg, []MessageRef{
		{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m1", ID: "x1", OriginID: "o1", Meta: []byte("meta1"), Time: at},
		{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m2", ID: "x2", FromMe: true, Time: at},
		{Transport: tr, LoginID: login, ChatID: "other", RemoteID: "m9", ID: "x9", Time: at},
		// The new chat knows m2 already, under another XMPP ID: it keeps its own.
		{Transport: tr, LoginID: login, ChatID: "+33600", RemoteID: "m2", ID: "y2", Time: at},
	}))
	must(t, db.Flush(bg))
	// One more, only in the log when the move runs.
	must(t, db.PutMessages(bg, []MessageRef{{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m3", ID: "x3", Time: at}}))
	if _, _, err := db.CommitEvents(bg, tr, []InboundEvent{{LoginID: login, ChatID: "lid1", DedupID: "e1", Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CommitHistory(bg, tr, HistoryBatch{LoginID: login, ChatID: "lid1", Cursor: "c1"}); err != nil {
		t.Fatal(err)
	}

	res, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600", Name: "Alice"}, OccupantAuto)
	if err != nil {
		t.Fatal(err)
	}
	if !res.HadOld || res.OldName != "Alice" || res.Messages != 2 || res.Dedup != 1 || !res.Cursor || res.Alias != "lid1" {
		t.Errorf("move: %+v, want the old puppet, 2 messages (m2 the new chat's own), 1 dedup key, the cursor, alias lid1", res)
	}
	check := func(db *DB) {
		t.Helper()
		wantNotFound(t, "old puppet", func() error { _, err := db.GetPuppet(tr, login, "lid1"); return err }())
		if p, err := db.GetPuppet(tr, login, "+33600"); err != nil || p.Name != "Alice" {
			t.Errorf("new puppet: %+v %v", p, err)
		}
		if r, err := db.LookupXMPP(tr, login, "+33600", "o1"); err != nil || r.RemoteID != "m1" || string(r.Meta) != "meta1" || !r.Time.Equal(at) {
			t.Errorf("m1 by origin-id under the new chat: %+v %v", r, err)
		}
		if r, err := db.LookupRemote(tr, login, "+33600", "m3"); err != nil || r.ID != "x3" {
			t.Errorf("m3 (logged when moved) under the new chat: %+v %v", r, err)
		}
		if r, err := db.LookupRemote(tr, login, "+33600", "m2"); err != nil || r.ID != "y2" {
			t.Errorf("m2: the new chat's own entry should stay: %+v %v", r, err)
		}
		for _, id := range []string{"m1", "m2", "m3"} {
			_, err := db.LookupRemote(tr, login, "lid1", id)
			wantNotFound(t, "old chat's "+id, err)
		}
		_, err := db.LookupXMPP(tr, login, "lid1", "x1")
		wantNotFound(t, "old chat's XMPP ID", err)
		if r, err := db.LookupRemote(tr, login, "other", "m9"); err != nil || r.ID != "x9" {
			t.Errorf("another chat touched: %+v %v", r, err)
		}
		seen, err := db.Seen(tr, []InboundEvent{{LoginID: login, ChatID: "+33600", DedupID: "e1"}, {LoginID: login, ChatID: "lid1", DedupID: "e1"}})
		if err != nil || !seen[0] || seen[1] {
			t.Errorf("dedup key: seen %v %v, want under the new chat only", seen, err)
		}
		if c, err := db.GetCursor(tr, login, "+33600"); err != nil || c.Cursor != "c1" {
			t.Errorf("cursor under the new chat: %+v %v", c, err)
		}
		_, err = db.GetCursor(tr, login, "lid1")
		wantNotFound(t, "old cursor", err)
	}
	check(db)

	// Again (a replay): nothing left to move; the puppet is put again.
	res, err = db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600", Name: "Alice"}, OccupantAuto)
	if err != nil || res != (MoveResult{Alias: "lid1"}) {
		t.Errorf("second move: %+v %v, want nothing moved, the alias kept", res, err)
	}
	db = reopen(t, db)
	check(db)

	if n, err := db.PruneMessages(bg, time.Now()); err != nil || n != 4 {
		t.Errorf("prune: %d %v, want the 4 entries left (m1, m2, m3 moved or kept, m9)", n, err)
	}
	_, err = db.LookupXMPP(tr, login, "+33600", "x1")
	wantNotFound(t, "pruned moved entry", err)

	for _, bad := range []struct{ old, new string }{{"", "n"}, {"a", ""}, {"same", "same"}, {"a\x00", "n"}} {
		_, err := db.MoveContact(bg, bad.old, Puppet{Transport: tr, LoginID: login, UserID: bad.new}, OccupantAuto)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("move %q -> %q: %v, want ErrInvalid", bad.old, bad.new, err)
		}
	}
}
