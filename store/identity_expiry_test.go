package store

import (
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// The deadlines of a direct chat's disappearing messages follow the chat
// when its contact moves to a new ID (MoveContact): every event after the
// move (a keep, an undo, a read) names the chat by its new ID.

// kept lists the records of messages kept for good (DueExpiries up to
// KeptForever, less those with a deadline).
func keptExpiries(t *testing.T, db *DB, transport string) []Expiry {
	t.Helper()
	due, _, err := db.DueExpiries(transport, KeptForever, 100)
	must(t, err)
	return slices.DeleteFunc(due, func(e Expiry) bool { return !e.At.Equal(KeptForever) })
}

// TestMoveContactMovesDeadlines: a disappearing message of a direct chat
// whose contact then moves (WhatsApp's LID learnt as a phone number,
// Signal's ACI given a number) is kept by the network afterwards, the
// keep naming the chat by its new ID: it is not retracted. Another
// message's deadline is due under the new chat, its sender the new ID,
// its XMPP ID kept; another chat's and another login's stay as they were.
func TestMoveContactMovesDeadlines(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	now := time.UnixMicro(1_800_000_000_000_000)
	must(t, db.PutPuppets(bg, []Puppet{{Transport: tr, LoginID: login, UserID: "lid1", Name: "Alice"}}))
	must(t, db.PutMessages(bg, []MessageRef{
		{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m1", ID: "x1", Time: now},
		{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m2", ID: "x2", Time: now},
	}))
	m2 := Expiry{LoginID: login, ChatID: "lid1", RemoteID: "m2", At: now.Add(time.Hour), SenderID: "lid1", XMPPID: "x2"}
	mine := Expiry{LoginID: login, ChatID: "lid1", RemoteID: "m3", At: now.Add(time.Hour), SenderID: login, FromMe: true}
	other := Expiry{LoginID: login, ChatID: "bob", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "bob"}
	otherLogin := Expiry{LoginID: "me2", ChatID: "lid1", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "lid1"}
	must(t, db.PutExpiries(bg, tr, []Expiry{{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "lid1", XMPPID: "x1"},
		m2, mine, other, otherLogin}))
	res, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600", Name: "Alice"}, OccupantAuto)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deadlines != 3 {
		t.Errorf("move: %+v, want 3 deadlines moved", res)
	}
	// Alice keeps m1 in the chat, now "+33600".
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{{LoginID: login, ChatID: "+33600", RemoteID: "m1", At: KeptForever, Since: now}}))
	db = reopen(t, db)
	due, _, err := db.DueExpiries(tr, now.Add(2*time.Hour), 10)
	must(t, err)
	m2.ChatID, m2.SenderID = "+33600", "+33600"
	mine.ChatID = "+33600"
	// One deadline for all: in key order (login, chat, message).
	if want := []Expiry{other, m2, mine, otherLogin}; !slices.Equal(due, want) {
		t.Errorf("due after the move and the keep:\n got %+v\nwant %+v (m1 kept in the chat must not be retracted)", due, want)
	}
}

// TestMoveContactKeepsMoveStamps: a message kept before its contact moved
// is undone after the move, under the new chat ID: it is due at the
// undo's deadline. The keep delivered again later (older than the undo)
// is not applied: the moves' stamps went with the deadline.
func TestMoveContactKeepsMoveStamps(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	now := time.UnixMicro(1_800_000_000_000_000)
	must(t, db.PutMessages(bg, []MessageRef{{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m1", ID: "x1", Time: now}}))
	e := Expiry{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "lid1", XMPPID: "x1"}
	must(t, db.PutExpiries(bg, tr, []Expiry{e}))
	keep := ExpiryMove{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: KeptForever, Since: now.Add(time.Minute)}
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{keep}))
	if _, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600"}, OccupantAuto); err != nil {
		t.Fatal(err)
	}
	if got := keptExpiries(t, db, tr); len(got) != 1 || got[0].ChatID != "+33600" || !got[0].Moved.Equal(keep.Since) {
		t.Errorf("kept after the move: %+v, want m1 under +33600 with its keep's stamp %v", got, keep.Since)
	}
	undo := ExpiryMove{LoginID: login, ChatID: "+33600", RemoteID: "m1", At: now.Add(2 * time.Hour), Since: now.Add(2 * time.Minute)}
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{undo}))
	keep.ChatID = "+33600"
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{keep})) // delivered again
	due, _, err := db.DueExpiries(tr, now.Add(3*time.Hour), 10)
	must(t, err)
	want := Expiry{LoginID: login, ChatID: "+33600", RemoteID: "m1", At: undo.At, SenderID: "+33600", XMPPID: "x1", Moved: undo.Since}
	if !slices.Equal(due, []Expiry{want}) {
		t.Errorf("due after the undo and the stale keep: %+v, want %+v", due, want)
	}
}

// TestMoveContactKeepsMoveMark: a message whose deadline the network
// moved later, before its contact moved, delivered again under the new
// chat ID (its duplicate puts the message's own deadline) does not
// disappear at the deadline it was moved away from; the old chat's mark
// is gone with its deadlines.
func TestMoveContactKeepsMoveMark(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	now := time.UnixMicro(1_800_000_000_000_000)
	e := Expiry{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "lid1", XMPPID: "x1"}
	must(t, db.PutExpiries(bg, tr, []Expiry{e}))
	later := now.Add(24 * time.Hour)
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: later, Since: now}}))
	if _, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600"}, OccupantAuto); err != nil {
		t.Fatal(err)
	}
	dup := e
	dup.ChatID, dup.SenderID = "+33600", "+33600"
	must(t, db.PutExpiries(bg, tr, []Expiry{dup}))
	if due, _, err := db.DueExpiries(tr, now.Add(2*time.Hour), 10); err != nil || len(due) != 0 {
		t.Errorf("due an hour on: %+v, %v; want none, the deadline was moved a day on", due, err)
	}
	must(t, db.view(func(tx *bbolt.Tx) error {
		if mb := sub(loginBucket(tx, tr, login), bExpMoved); mb == nil || mb.Get(comp("lid1", "m1")) != nil || mb.Get(comp("+33600", "m1")) == nil {
			t.Errorf("the move's mark is not under the new chat ID only")
		}
		return nil
	}))
}

// TestMoveContactMovesReadTimers: a message whose timer starts when the
// user reads it (Signal's) is read after its contact moved, the read
// naming the chat by its new ID: its timer starts.
func TestMoveContactMovesReadTimers(t *testing.T) {
	db := openTemp(t)
	const tr, login = "sig", "me"
	t0 := time.UnixMicro(1_800_000_000_000_000)
	r1 := ReadExpiry{Expiry: Expiry{LoginID: login, ChatID: "aci1", RemoteID: "m1", SenderID: "aci1", XMPPID: "x1"}, Time: t0, After: time.Hour}
	r2 := ReadExpiry{Expiry: Expiry{LoginID: login, ChatID: "aci1", RemoteID: "m2", SenderID: login, FromMe: true}, Time: t0.Add(time.Second), After: time.Minute}
	// A chat whose ID has the old one as a prefix stays.
	other := ReadExpiry{Expiry: Expiry{LoginID: login, ChatID: "aci10", RemoteID: "m1", SenderID: "aci10"}, Time: t0, After: time.Minute}
	must(t, db.PutReadExpiries(bg, tr, []ReadExpiry{r1, r2, other}))
	res, err := db.MoveContact(bg, "aci1", Puppet{Transport: tr, LoginID: login, UserID: "+33600"}, OccupantAuto)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReadTimers != 2 {
		t.Errorf("move: %+v, want 2 read timers moved", res)
	}
	db = reopen(t, db)
	read := t0.Add(time.Hour)
	if first, err := db.StartReadExpiries(bg, tr, login, "+33600", r2.Time, read); err != nil || !first.Equal(read.Add(time.Minute)) {
		t.Fatalf("read under the new chat ID: first deadline %v, %v; want %v", first, err, read.Add(time.Minute))
	}
	if first, err := db.StartReadExpiries(bg, tr, login, "aci1", r2.Time, read); err != nil || !first.IsZero() {
		t.Errorf("read under the old chat ID: %v, %v; want nothing left there", first, err)
	}
	due, _, err := db.DueExpiries(tr, read.Add(2*time.Hour), 10)
	must(t, err)
	want := []Expiry{
		{LoginID: login, ChatID: "+33600", RemoteID: "m2", At: read.Add(time.Minute), SenderID: login, FromMe: true},
		{LoginID: login, ChatID: "+33600", RemoteID: "m1", At: read.Add(time.Hour), SenderID: "+33600", XMPPID: "x1"},
	}
	if !slices.Equal(due, want) {
		t.Errorf("deadlines started: %+v, want %+v", due, want)
	}
	if first, _ := db.StartReadExpiries(bg, tr, login, "aci10", t0, read); !first.Equal(read.Add(time.Minute)) {
		t.Errorf("the other chat's timer: %v", first)
	}
}

// TestMoveContactKeptSurvivesPrune: a message kept for good before its
// contact moved keeps its record through a prune that leaves its
// message map entry (moved to the new chat), and an undo after both
// finds it.
func TestMoveContactKeptSurvivesPrune(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	now := time.Now().Truncate(time.Microsecond) // as stored
	must(t, db.PutMessages(bg, []MessageRef{{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "m1", ID: "x1", Time: now.Add(-time.Minute)}}))
	must(t, db.PutExpiries(bg, tr, []Expiry{{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "lid1", XMPPID: "x1"}}))
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{{LoginID: login, ChatID: "lid1", RemoteID: "m1", At: KeptForever, Since: now}}))
	if _, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600"}, OccupantAuto); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PruneMessages(bg, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LookupRemote(tr, login, "+33600", "m1"); err != nil {
		t.Fatalf("m1's map entry after the prune: %v", err)
	}
	if got := keptExpiries(t, db, tr); len(got) != 1 || got[0].RemoteID != "m1" || got[0].ChatID != "+33600" {
		t.Fatalf("kept after the move and a prune: %+v, want m1 under +33600 (its map entry is there)", got)
	}
	undo := ExpiryMove{LoginID: login, ChatID: "+33600", RemoteID: "m1", At: now.Add(2 * time.Hour), Since: now.Add(time.Second)}
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{undo}))
	if due, _, err := db.DueExpiries(tr, now.Add(3*time.Hour), 10); err != nil || len(due) != 1 || !due[0].At.Equal(undo.At) {
		t.Errorf("due after the undo: %+v, %v; want m1 at %v", due, err, undo.At)
	}
}

// TestMoveContactMergesDeadlines: where the new chat has deadlines of its
// own for a message (it came under both IDs), the latest move of the
// network holds: a keep on either side stays kept, a keep undone after
// the other side's keep is undone; with no move on either, the new
// chat's own deadline stays, unless the old chat's was kept (a keep with
// no time). The kept record names the message by the
// XMPP ID of the map entry that stays, the new chat's. A read timer the
// new chat has for the message too, or whose message has a deadline
// there already, is dropped. A second move finds nothing.
func TestMoveContactMergesDeadlines(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	t0 := time.UnixMicro(1_800_000_000_000_000)
	ex := func(chat, remote string, at time.Duration, xmpp string) Expiry {
		return Expiry{LoginID: login, ChatID: chat, RemoteID: remote, At: t0.Add(at), SenderID: chat, XMPPID: xmpp}
	}
	rd := func(chat, remote string, after time.Duration) ReadExpiry {
		return ReadExpiry{Expiry: Expiry{LoginID: login, ChatID: chat, RemoteID: remote, SenderID: chat}, Time: t0, After: after}
	}
	must(t, db.PutMessages(bg, []MessageRef{
		{Transport: tr, LoginID: login, ChatID: "lid1", RemoteID: "kept-old", ID: "old-1", Time: t0},
		{Transport: tr, LoginID: login, ChatID: "+33600", RemoteID: "kept-old", ID: "new-1", Time: t0},
	}))
	must(t, db.PutTimers(bg, tr, []Expiry{
		ex("lid1", "kept-old", time.Hour, "old-1"), ex("+33600", "kept-old", time.Hour, "new-1"),
		ex("lid1", "kept-new", time.Hour, ""), ex("+33600", "kept-new", time.Hour, ""),
		ex("lid1", "undone", time.Hour, ""), ex("+33600", "undone", time.Hour, ""),
		ex("lid1", "both", time.Hour, ""), ex("+33600", "both", 2*time.Hour, ""),
		ex("lid1", "only-old", time.Hour, ""),
		ex("lid1", "kept-tie", time.Hour, ""), ex("+33600", "kept-tie", time.Hour, ""),
		ex("+33600", "started", 3*time.Hour, ""),
	}, []ReadExpiry{rd("lid1", "read-both", time.Minute), rd("+33600", "read-both", time.Hour),
		rd("lid1", "started", time.Minute), rd("lid1", "read-old", time.Minute)}))
	must(t, db.MoveExpiries(bg, tr, []ExpiryMove{
		{LoginID: login, ChatID: "lid1", RemoteID: "kept-old", At: KeptForever, Since: t0},
		{LoginID: login, ChatID: "+33600", RemoteID: "kept-new", At: KeptForever, Since: t0},
		{LoginID: login, ChatID: "+33600", RemoteID: "undone", At: KeptForever, Since: t0},
		{LoginID: login, ChatID: "lid1", RemoteID: "undone", At: t0.Add(4 * time.Hour), Since: t0.Add(time.Second)},
		{LoginID: login, ChatID: "lid1", RemoteID: "kept-tie", At: KeptForever}, // no time told
	}))
	res, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600"}, OccupantAuto)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deadlines != 4 || res.ReadTimers != 1 {
		t.Errorf("move: %+v, want 4 deadlines (kept-old, undone, only-old, kept-tie) and 1 read timer (read-old) moved", res)
	}
	if again, err := db.MoveContact(bg, "lid1", Puppet{Transport: tr, LoginID: login, UserID: "+33600"}, OccupantAuto); err != nil || again.Deadlines != 0 || again.ReadTimers != 0 {
		t.Errorf("second move: %+v %v, want nothing moved", again, err)
	}
	db = reopen(t, db)
	due, _, err := db.DueExpiries(tr, KeptForever, 100)
	must(t, err)
	n := func(e Expiry) Expiry { e.SenderID = "+33600"; return e }
	keptOld := n(ex("+33600", "kept-old", 0, "new-1"))
	keptOld.At, keptOld.Moved = KeptForever, t0
	keptNew := ex("+33600", "kept-new", 0, "")
	keptNew.At, keptNew.Moved = KeptForever, t0
	undone := n(ex("+33600", "undone", 4*time.Hour, ""))
	undone.Moved = t0.Add(time.Second)
	keptTie := n(ex("+33600", "kept-tie", 0, ""))
	keptTie.At = KeptForever
	want := []Expiry{
		n(ex("+33600", "only-old", time.Hour, "")),
		ex("+33600", "both", 2*time.Hour, ""),
		ex("+33600", "started", 3*time.Hour, ""),
		undone,
		keptNew, keptOld, keptTie,
	}
	if !slices.Equal(due, want) {
		t.Errorf("deadlines after the merge:\n got %+v\nwant %+v", due, want)
	}
	read := t0.Add(time.Hour)
	first, err := db.StartReadExpiries(bg, tr, login, "+33600", t0, read)
	must(t, err)
	if !first.Equal(read.Add(time.Minute)) {
		t.Errorf("first deadline started: %v, want read-old's %v", first, read.Add(time.Minute))
	}
	due, _, err = db.DueExpiries(tr, read.Add(90*time.Minute), 100)
	must(t, err)
	var got []string
	for _, e := range due {
		got = append(got, e.RemoteID+"@"+e.At.Sub(t0).String())
	}
	if want := []string{"only-old@1h0m0s", "read-old@1h1m0s", "both@2h0m0s", "read-both@2h0m0s"}; !slices.Equal(got, want) {
		t.Errorf("due once read: %v, want %v (read-both's timer the new chat's, started's timer dropped)", got, want)
	}
}
