package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestExpiries: deadlines come back due in deadline order, with their
// sender, up to a limit, with the next one after them; they survive a
// reopen, a second put changes nothing, a delete forgets them, and
// DeleteLogin drops its login's only; bad input is refused.
func TestExpiries(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	e1 := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(-time.Minute), SenderID: "bob", XMPPID: "pe-1"}
	e2 := Expiry{LoginID: "l1", ChatID: "g", RemoteID: "m2", At: now, SenderID: "l1", FromMe: true, Group: true}
	e3 := Expiry{LoginID: "l2", ChatID: "bob", RemoteID: "m1", At: now.Add(-2 * time.Minute), SenderID: "bob"}
	later := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m9", At: now.Add(time.Hour), SenderID: "bob"}
	must(t, db.PutExpiries(bg, "wa", []Expiry{later, e1, e2}))
	must(t, db.PutExpiries(bg, "wa", []Expiry{e3, e1}))
	must(t, db.PutExpiries(bg, "tg", []Expiry{e1}))
	db = reopen(t, db)

	due, next, err := db.DueExpiries("wa", now, 10)
	if err != nil || !slices.Equal(due, []Expiry{e3, e1, e2}) || !next.Equal(later.At) {
		t.Fatalf("DueExpiries = %+v, next %v, %v; want e3 e1 e2, next %v", due, next, err, later.At)
	}
	due, next, _ = db.DueExpiries("wa", now, 2)
	if !slices.Equal(due, []Expiry{e3, e1}) || !next.Equal(e2.At) {
		t.Fatalf("DueExpiries limit 2 = %+v, next %v", due, next)
	}
	must(t, db.DeleteExpiries(bg, "wa", []Expiry{e3, e1}))
	due, _, _ = db.DueExpiries("wa", now, 10)
	if !slices.Equal(due, []Expiry{e2}) {
		t.Fatalf("after a delete: %+v", due)
	}
	if due, _, _ := db.DueExpiries("tg", now, 10); !slices.Equal(due, []Expiry{e1}) {
		t.Errorf("another transport's: %+v", due)
	}

	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "l1"}))
	must(t, db.PutExpiries(bg, "wa", []Expiry{e3}))
	must(t, db.DeleteLogin(bg, "wa", "alice@example.org"))
	due, next, _ = db.DueExpiries("wa", now.Add(2*time.Hour), 10)
	if !slices.Equal(due, []Expiry{e3}) || !next.IsZero() {
		t.Errorf("after DeleteLogin of l1: %+v, next %v; want only l2's", due, next)
	}

	// check-store counts them, the kept apart.
	must(t, db.PutReadExpiries(bg, "wa", []ReadExpiry{{Expiry: Expiry{LoginID: "l2", ChatID: "bob", RemoteID: "m5", SenderID: "bob"}, Time: now, After: time.Hour}}))
	kept := Expiry{LoginID: "l2", ChatID: "bob", RemoteID: "m6", At: now.Add(time.Hour), SenderID: "bob"}
	must(t, db.PutExpiries(bg, "wa", []Expiry{kept}))
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l2", ChatID: "bob", RemoteID: "m6", At: KeptForever}}))
	path := db.Path()
	must(t, db.Close())
	rep, err := Inspect(path, time.Second)
	if err != nil || rep.Damaged() {
		t.Fatalf("check-store: %v, %+v", err, rep)
	}
	var text strings.Builder
	must(t, rep.WriteText(&text))
	if !strings.Contains(text.String(), "1 disappearing message (1 more once read), 1 kept after all") {
		t.Errorf("check-store report:\n%s", text.String())
	}
	db = openAt(t, path, Options{})

	for _, bad := range []Expiry{{ChatID: "c", RemoteID: "r"}, {LoginID: "l", ChatID: "c\x00", RemoteID: "r"}, {LoginID: "l", ChatID: "c"}} {
		if err := db.PutExpiries(bg, "wa", []Expiry{bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutExpiries(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestReadExpiries: a read up to a message starts the timers of that
// chat's messages at or before it, each from the read's time, and no
// others; once started, they are deadlines and no longer read timers.
func TestReadExpiries(t *testing.T) {
	db := openTemp(t)
	t0 := time.UnixMicro(1_800_000_000_000_000)
	r1 := ReadExpiry{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", SenderID: "bob", XMPPID: "x1"}, Time: t0, After: time.Hour}
	r2 := ReadExpiry{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m2", SenderID: "bob"}, Time: t0.Add(time.Second), After: time.Minute}
	r3 := ReadExpiry{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m3", SenderID: "bob"}, Time: t0.Add(2 * time.Second), After: time.Minute}
	// A chat whose ID has bob's as a prefix, and another login's bob.
	other := ReadExpiry{Expiry: Expiry{LoginID: "l1", ChatID: "bobby", RemoteID: "m1", SenderID: "bobby"}, Time: t0, After: time.Minute}
	l2 := ReadExpiry{Expiry: Expiry{LoginID: "l2", ChatID: "bob", RemoteID: "m1", SenderID: "bob"}, Time: t0, After: time.Minute}
	must(t, db.PutReadExpiries(bg, "sig", []ReadExpiry{r3, r1, r2, other, l2}))
	db = reopen(t, db)

	read := t0.Add(time.Hour)
	first, err := db.StartReadExpiries(bg, "sig", "l1", "bob", r2.Time, read)
	if err != nil || !first.Equal(read.Add(time.Minute)) {
		t.Fatalf("StartReadExpiries = %v, %v; want %v", first, err, read.Add(time.Minute))
	}
	due, _, _ := db.DueExpiries("sig", read.Add(2*time.Hour), 10)
	want := []Expiry{
		{LoginID: "l1", ChatID: "bob", RemoteID: "m2", At: read.Add(time.Minute), SenderID: "bob"},
		{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: read.Add(time.Hour), SenderID: "bob", XMPPID: "x1"},
	}
	if !slices.Equal(due, want) {
		t.Fatalf("deadlines = %+v, want %+v", due, want)
	}
	// Read again: m1 and m2 started already; nothing more until m3.
	if first, _ := db.StartReadExpiries(bg, "sig", "l1", "bob", r2.Time, read); !first.IsZero() {
		t.Errorf("a second read started %v", first)
	}
	if first, _ := db.StartReadExpiries(bg, "sig", "l1", "bob", r3.Time, read); !first.Equal(read.Add(time.Minute)) {
		t.Errorf("reading m3 started %v", first)
	}
	if first, _ := db.StartReadExpiries(bg, "sig", "l1", "bobby", t0, read); !first.Equal(read.Add(time.Minute)) {
		t.Errorf("bobby's timer: %v (taken by bob's reads?)", first)
	}
	if first, _ := db.StartReadExpiries(bg, "sig", "l2", "bob", t0, read); !first.Equal(read.Add(time.Minute)) {
		t.Errorf("l2's timer: %v", first)
	}
	if err := db.PutReadExpiries(bg, "sig", []ReadExpiry{{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m", SenderID: "bob"}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a zero timer: %v", err)
	}
}

// TestExpiriesDamagedAndOld: a damaged deadline is skipped, not allowed
// to hold the ones after it; one written before the XMPP ID was kept
// reads without it.
func TestExpiriesDamagedAndOld(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	old := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m2", At: now.Add(-time.Minute), SenderID: "bob"}
	must(t, db.submit(bg, func(tx *bbolt.Tx) error {
		b, err := createPath(tx, bExpiry, []byte("wa"))
		if err != nil {
			return err
		}
		bad := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(-time.Hour)}
		if err := b.Put(bad.key(), []byte{recV1, 200}); err != nil { // a string longer than the record
			return err
		}
		v := newEnc(8)
		v.str(old.SenderID)
		v.bool(false)
		v.bool(false)
		return b.Put(old.key(), v.b)
	}))
	due, _, err := db.DueExpiries("wa", now, 10)
	if err != nil || !slices.Equal(due, []Expiry{old}) {
		t.Fatalf("DueExpiries = %+v, %v; want only the old record's", due, err)
	}
}

// TestReadExpiriesDamaged: a damaged read-started timer is dropped, not
// allowed to hold the chat's others: a read still starts them. Before,
// every read of the chat failed on it.
func TestReadExpiriesDamaged(t *testing.T) {
	db := openTemp(t)
	t0 := time.UnixMicro(1_800_000_000_000_000)
	good := ReadExpiry{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m2", SenderID: "bob"}, Time: t0.Add(time.Second), After: time.Minute}
	must(t, db.PutReadExpiries(bg, "sig", []ReadExpiry{good}))
	must(t, db.submit(bg, func(tx *bbolt.Tx) error {
		b := sub(loginBucket(tx, "sig", "l1"), bExpRead)
		if err := b.Put(readKey("bob", t0, "m1"), []byte{1, 200}); err != nil { // a string longer than the record
			return err
		}
		return b.Put(comp("bob"), []byte{1}) // a key with no time
	}))
	read := t0.Add(time.Hour)
	first, err := db.StartReadExpiries(bg, "sig", "l1", "bob", good.Time, read)
	if err != nil || !first.Equal(read.Add(time.Minute)) {
		t.Fatalf("StartReadExpiries = %v, %v; want %v", first, err, read.Add(time.Minute))
	}
	due, _, _ := db.DueExpiries("sig", read.Add(time.Hour), 10)
	if len(due) != 1 || due[0].RemoteID != "m2" {
		t.Fatalf("deadlines = %+v, want m2's", due)
	}
	if first, err := db.StartReadExpiries(bg, "sig", "l1", "bob", good.Time, read); err != nil || !first.IsZero() {
		t.Errorf("a read after: %v, %v; want nothing started, no error", first, err)
	}
}

// TestExpiriesDamagedKeyForgotten: what DueExpiries hands out, once
// acted on, DeleteExpiries forgets, even from a damaged key (a deadline
// with its top bit set, a length written long): else the bridge's loop
// found it due again at once, for ever, at full speed.
func TestExpiriesDamagedKeyForgotten(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	v := newEnc(8)
	v.str("bob")
	v.bool(false)
	v.bool(false)
	must(t, db.submit(bg, func(tx *bbolt.Tx) error {
		b, err := createPath(tx, bExpiry, []byte("wa"))
		if err != nil {
			return err
		}
		negative := append(u64(1<<63|7), comp("l1", "bob", "m1")...)
		long := append(u64(uint64(now.Add(-time.Minute).UnixMicro())), 0x82, 0x00, 'l', '1') // "l1", its length in two bytes
		long = append(long, comp("bob", "m2")...)
		if err := b.Put(negative, v.b); err != nil {
			return err
		}
		return b.Put(long, v.b)
	}))
	for range 3 {
		due, _, err := db.DueExpiries("wa", now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		must(t, db.DeleteExpiries(bg, "wa", due))
	}
	due, _, _ := db.DueExpiries("wa", now, 10)
	t.Fatalf("deadlines due again after their deletion: %+v", due)
}

// MoveExpiries: a message kept for good is never due, and moved back it
// is due at its new deadline with what was recorded of it; every record
// of the message moves (a replayed copy's too), others stay, and a move
// of a message with none recorded records nothing.
func TestMoveExpiries(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	m1 := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(-time.Minute), SenderID: "bob", XMPPID: "pe-1"}
	again := m1
	again.At = now.Add(-2 * time.Minute) // a replay with another deadline
	m2 := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m2", At: now.Add(-time.Minute), SenderID: "bob"}
	must(t, db.PutExpiries(bg, "wa", []Expiry{m1, again, m2}))
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: KeptForever},
		{LoginID: "l1", ChatID: "bob", RemoteID: "none", At: now}}))
	db = reopen(t, db)
	due, next, err := db.DueExpiries("wa", now, 10)
	if err != nil || !slices.Equal(due, []Expiry{m2}) || !next.Equal(KeptForever) {
		t.Fatalf("after the keep: %+v, next %v, %v; want m2 only, next KeptForever", due, next, err)
	}
	back := now.Add(-30 * time.Second)
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: back}}))
	want := m1
	want.At = back
	if due, next, _ := db.DueExpiries("wa", now, 10); !slices.Equal(due, []Expiry{m2, want}) || !next.IsZero() {
		t.Fatalf("after the undo: %+v, next %v; want m2 then m1 at its new deadline", due, next)
	}

	// A move records when the network made it, across a reopen; one
	// made before it (a keep delivered again after its undo) is not
	// applied.
	undo := ExpiryMove{LoginID: "l1", ChatID: "bob", RemoteID: "m2", At: now.Add(-10 * time.Second), Since: now}
	stale := ExpiryMove{LoginID: "l1", ChatID: "bob", RemoteID: "m2", At: KeptForever, Since: now.Add(-time.Second)}
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{undo}))
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{stale}))
	db = reopen(t, db)
	m2.At, m2.Moved = undo.At, now
	if due, _, _ := db.DueExpiries("wa", now, 10); !slices.Equal(due, []Expiry{want, m2}) {
		t.Fatalf("after a stale move: %+v; want m1, then m2 moved at %v", due, now)
	}
}

// TestPutExpiriesKeptStaysKept: a deadline put again for a message kept
// for good (a duplicate of it) is not recorded beside the keep: the
// message stays kept. Once the keep is undone (moved back), a put of
// its own deadline is not recorded either (the move stands: see
// TestPutExpiriesAfterMove); another message's is.
func TestPutExpiriesKeptStaysKept(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	e := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "bob"}
	must(t, db.PutExpiries(bg, "wa", []Expiry{e}))
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: KeptForever}}))
	must(t, db.PutExpiries(bg, "wa", []Expiry{e}))
	if due, _, err := db.DueExpiries("wa", now.Add(2*time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("DueExpiries = %+v, %v; want none: the message is kept", due, err)
	}
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(time.Minute)}}))
	e2 := e
	e2.RemoteID = "m2"
	must(t, db.PutExpiries(bg, "wa", []Expiry{e, e2}))
	due, _, err := db.DueExpiries("wa", now.Add(2*time.Hour), 10)
	if err != nil || len(due) != 2 || due[0].RemoteID != "m1" || !due[0].At.Equal(now.Add(time.Minute)) || due[1].RemoteID != "m2" {
		t.Fatalf("DueExpiries = %+v, %v; want m1 at its moved deadline, then m2", due, err)
	}
}

// TestPruneKept: a message kept for good keeps its record while its
// message map entry lasts (an undo counts its deadline from its time),
// and loses it with the entry (PruneMessages), across a reopen; one with
// a deadline is left to DueExpiries.
func TestPruneKept(t *testing.T) {
	db := openTemp(t)
	now := time.Now()
	old := MessageRef{Transport: "wa", LoginID: "l1", ChatID: "bob", RemoteID: "old", OriginID: "o-old", Time: now.Add(-48 * time.Hour)}
	recent := MessageRef{Transport: "wa", LoginID: "l1", ChatID: "bob", RemoteID: "recent", OriginID: "o-recent", Time: now.Add(-time.Minute)}
	timed := MessageRef{Transport: "wa", LoginID: "l1", ChatID: "bob", RemoteID: "timed", OriginID: "o-timed", Time: now.Add(-48 * time.Hour)}
	must(t, db.PutMessages(bg, []MessageRef{old, recent, timed}))
	var es []Expiry
	for _, r := range []MessageRef{old, recent, timed} {
		es = append(es, Expiry{LoginID: r.LoginID, ChatID: r.ChatID, RemoteID: r.RemoteID, At: now.Add(time.Hour), SenderID: "bob"})
	}
	must(t, db.PutExpiries(bg, "wa", es))
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{
		{LoginID: "l1", ChatID: "bob", RemoteID: "old", At: KeptForever, Since: now},
		{LoginID: "l1", ChatID: "bob", RemoteID: "recent", At: KeptForever, Since: now}}))
	if _, err := db.PruneMessages(bg, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db)
	undo := func(id string) {
		must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l1", ChatID: "bob", RemoteID: id, At: now.Add(2 * time.Hour), Since: now.Add(time.Second)}}))
	}
	undo("old")
	undo("recent")
	due, _, err := db.DueExpiries("wa", now.Add(3*time.Hour), 10)
	must(t, err)
	var got []string
	for _, e := range due {
		got = append(got, e.RemoteID)
	}
	if !slices.Equal(got, []string{"timed", "recent"}) {
		t.Errorf("due after the prune and the undos: %v; want timed (its deadline) and recent (kept, its entry there), not old (its entry pruned)", got)
	}
}

// TestDeadlineOf: a message's recorded deadline is found by its IDs;
// another message's, or one never recorded, is not.
func TestDeadlineOf(t *testing.T) {
	db := openTemp(t)
	at := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	if err := db.PutTimers(context.Background(), "echo", []Expiry{{LoginID: "l", ChatID: "bob", RemoteID: "m1", At: at, SenderID: "bob", XMPPID: "x1"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := db.DeadlineOf("echo", "l", "bob", "m1"); err != nil || !ok || !got.Equal(at) {
		t.Errorf("m1's deadline: %v %v %v, want %v", got, ok, err, at)
	}
	for _, c := range [][3]string{{"l", "bob", "m2"}, {"l", "carol", "m1"}, {"l2", "bob", "m1"}} {
		if _, ok, err := db.DeadlineOf("echo", c[0], c[1], c[2]); err != nil || ok {
			t.Errorf("%v: found a deadline (%v)", c, err)
		}
	}
	if _, _, err := db.DeadlineOf("echo", "l", "bob\x00", "m1"); err == nil {
		t.Error("a chat ID with a NUL taken")
	}
}

// TestExpiryKeepsFiles: a deadline keeps its message's file count and
// whether it had text beside them, moved or not, and a read-started
// timer keeps them into the deadline it becomes: a retraction whose map
// entry is put back from the deadline reaches the files. Older records
// end before them (TestExpiriesDamagedAndOld).
func TestExpiryKeepsFiles(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	plain := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(-3 * time.Minute), SenderID: "bob", XMPPID: "x1", Files: 3, Text: true}
	moved := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m2", At: now.Add(-2 * time.Minute), SenderID: "bob", XMPPID: "x2", Files: 2, Moved: now.Add(-time.Hour)}
	must(t, db.PutExpiries(bg, "tg", []Expiry{plain, moved}))
	must(t, db.PutReadExpiries(bg, "tg", []ReadExpiry{{Expiry: Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m3", SenderID: "bob", Files: 1}, Time: now.Add(-time.Hour), After: time.Minute}}))
	db = reopen(t, db)
	if _, err := db.StartReadExpiries(bg, "tg", "l1", "bob", now, now.Add(-90*time.Second)); err != nil {
		t.Fatal(err)
	}
	due, _, err := db.DueExpiries("tg", now, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("DueExpiries = %+v, %v", due, err)
	}
	if !slices.Equal(due[:2], []Expiry{plain, moved}) {
		t.Errorf("deadlines %+v, want %+v and %+v", due[:2], plain, moved)
	}
	if r := due[2]; r.RemoteID != "m3" || r.Files != 1 || r.Text {
		t.Errorf("the read-started timer's deadline %+v, want m3 with 1 file", r)
	}
}

// TestPutExpiriesAfterMove: a message whose deadline the network moved
// later, delivered again (its duplicate puts the message's own
// deadline, and its read timer), does not disappear at the deadline it
// was moved away from, across a reopen; once the moved deadline is acted
// on (deleted), a put records as for any message. Before, the duplicate
// recorded its own deadline beside the moved one, which fired early.
func TestPutExpiriesAfterMove(t *testing.T) {
	db := openTemp(t)
	now := time.UnixMicro(1_800_000_000_000_000)
	e := Expiry{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: now.Add(time.Hour), SenderID: "bob"}
	must(t, db.PutExpiries(bg, "wa", []Expiry{e}))
	later := now.Add(24 * time.Hour)
	must(t, db.MoveExpiries(bg, "wa", []ExpiryMove{{LoginID: "l1", ChatID: "bob", RemoteID: "m1", At: later, Since: now}}))
	db = reopen(t, db)
	must(t, db.PutTimers(bg, "wa", []Expiry{e}, []ReadExpiry{{Expiry: e, Time: now, After: time.Minute}}))
	if due, _, err := db.DueExpiries("wa", now.Add(2*time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("due an hour on: %+v, %v; want none, the deadline was moved a day on", due, err)
	}
	if at, err := db.StartReadExpiries(bg, "wa", "l1", "bob", now, now); err != nil || !at.IsZero() {
		t.Fatalf("a read started a timer at %v (%v); want none: the duplicate's timer is not recorded", at, err)
	}
	due, _, err := db.DueExpiries("wa", later, 10)
	if err != nil || len(due) != 1 || !due[0].At.Equal(later) {
		t.Fatalf("due a day on: %+v, %v; want m1 at its moved deadline", due, err)
	}
	must(t, db.DeleteExpiries(bg, "wa", due))
	must(t, db.PutExpiries(bg, "wa", []Expiry{e}))
	if due, _, _ := db.DueExpiries("wa", later, 10); len(due) != 1 || !due[0].At.Equal(e.At) {
		t.Fatalf("after the moved deadline was acted on, a put: due %+v, want it at its own deadline", due)
	}
}
