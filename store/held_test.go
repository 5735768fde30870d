package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Held messages survive a reopen, in the order they were held, with all
// they carry; a deleted one is gone, and another transport has none.
func TestHeldMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openAt(t, path, Options{})
	if hs, err := db.HeldMessages("wa"); err != nil || len(hs) != 0 {
		t.Fatalf("a new store holds %v, %v", hs, err)
	}
	var seqs []uint64
	for _, body := range []string{"one", "two", "three"} {
		seq, err := db.PutHeld(bg, "wa", HeldMessage{LoginID: "A", ChatID: "c", UserJID: "alice@x", To: "bob@gw", Txn: "o-" + body,
			OriginID: "o-" + body, ID: "i-" + body, Body: body, Receipt: body == "two", Markable: true, Command: []byte("cmd-" + body),
			Room: body == "three", Stanza: []byte("<message>" + body + "</message>")})
		must(t, err)
		seqs = append(seqs, seq)
	}
	must(t, db.DeleteHeld(bg, "wa", seqs[1]))
	must(t, db.Close())
	db = openAt(t, path, Options{})

	hs, err := db.HeldMessages("wa")
	must(t, err)
	var bodies []string
	for _, h := range hs {
		bodies = append(bodies, h.Body)
	}
	if !slices.Equal(bodies, []string{"one", "three"}) {
		t.Fatalf("held after reopen: %v, want [one three]", bodies)
	}
	want := HeldMessage{Seq: seqs[2], LoginID: "A", ChatID: "c", UserJID: "alice@x", Txn: "o-three",
		OriginID: "o-three", ID: "i-three", Body: "three", Markable: true, Command: []byte("cmd-three")}
	if h := hs[1]; h.Seq != want.Seq || h.LoginID != want.LoginID || h.ChatID != want.ChatID || h.UserJID != want.UserJID || h.To != "bob@gw" ||
		h.Txn != want.Txn || h.OriginID != want.OriginID || h.ID != want.ID || h.Receipt || !h.Markable || string(h.Command) != "cmd-three" ||
		!h.Room || string(h.Stanza) != "<message>three</message>" || hs[0].Room {
		t.Fatalf("held %+v, want %+v", h, want)
	}
	if other, err := db.HeldMessages("tg"); err != nil || len(other) != 0 {
		t.Fatalf("another transport holds %v, %v", other, err)
	}
	for _, s := range seqs {
		must(t, db.DeleteHeld(bg, "wa", s))
	}
	must(t, db.DeleteHeld(bg, "tg", 1)) // none there: no error
	if hs, err := db.HeldMessages("wa"); err != nil || len(hs) != 0 {
		t.Fatalf("held after deleting all: %v, %v", hs, err)
	}
}

// A store written before held messages existed has none, and takes them.
func TestHeldMessagesOnOldStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	copyTestdataV1(t, path)
	db := openAt(t, path, Options{})
	if hs, err := db.HeldMessages("wa"); err != nil || len(hs) != 0 {
		t.Fatalf("old store holds %v, %v", hs, err)
	}
	_, err := db.PutHeld(bg, "wa", HeldMessage{LoginID: "L1", Body: "x"})
	must(t, err)
	db = reopen(t, db)
	if hs, err := db.HeldMessages("wa"); err != nil || len(hs) != 1 || hs[0].Body != "x" {
		t.Fatalf("old store after a held message and reopen: %v, %v", hs, err)
	}
}

// A record written before Room and Stanza existed reads as a one-to-one
// message without its stanza.
func TestHeldMessageOlderRecord(t *testing.T) {
	e := newEnc(64)
	for _, s := range []string{"A", "c", "alice@x", "bob@gw", "o-1", "o-1", "i-1", "one"} {
		e.str(s)
	}
	e.bool(true)
	e.bool(false)
	e.bytes([]byte("cmd"))
	h, err := decodeHeld(7, e.b)
	must(t, err)
	if h.Seq != 7 || h.LoginID != "A" || h.Body != "one" || !h.Receipt || string(h.Command) != "cmd" || h.Room || h.Stanza != nil {
		t.Fatalf("older record read as %+v", h)
	}
	rec := encodeHeld(HeldMessage{LoginID: "A", Command: []byte("cmd"), Room: true, Stanza: []byte("<message/>")})
	if h, err := decodeHeld(1, rec); err != nil || !h.Room || string(h.Stanza) != "<message/>" {
		t.Fatalf("a record with a room and a stanza read as %+v, %v", h, err)
	}
	if _, err := decodeHeld(1, rec[:len(rec)-3]); err == nil {
		t.Fatal("a truncated stanza read without an error")
	}
}

// TestSendingOutlivesCrash: records of messages on their way to a plugin
// that is up are lazy, yet a crash of the process (the files as they
// are, never closed) keeps them, and their removals, in the order they
// were made among held ones: they share one sequence.
func TestSendingOutlivesCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	db := openAt(t, path, Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	put := func(body string, sending bool) uint64 {
		t.Helper()
		h := HeldMessage{LoginID: "A", ChatID: "c", Txn: "o-" + body, Body: body, Command: []byte("cmd-" + body)}
		var seq uint64
		var err error
		if sending {
			seq, err = db.PutSending(bg, "wa", h)()
		} else {
			seq, err = db.PutHeld(bg, "wa", h)
		}
		must(t, err)
		return seq
	}
	put("one", true)
	two := put("two", true)
	put("three", false)
	put("four", true)
	must(t, db.DeleteHeld(bg, "wa", two))

	// The crash: the store's files as they are now, opened elsewhere.
	db2 := openAt(t, crashCopy(t, path), Options{})
	hs, err := db2.HeldMessages("wa")
	must(t, err)
	var bodies []string
	for _, h := range hs {
		bodies = append(bodies, h.Body)
	}
	if !slices.Equal(bodies, []string{"one", "three", "four"}) {
		t.Fatalf("after a crash the store holds %v, want [one three four]", bodies)
	}
	// Keys go on after the crash's: a new record sorts last, and is not
	// one an earlier process left.
	wait := db2.PutSending(bg, "wa", HeldMessage{LoginID: "A", Body: "five"})
	seq, err := wait()
	must(t, err)
	if again, err := wait(); again != seq || err != nil {
		t.Fatalf("waiting again: %d, %v; want %d", again, err, seq)
	}
	if seq <= hs[2].Seq {
		t.Fatalf("a record after the crash got key %d, not after %d", seq, hs[2].Seq)
	}
	all, err := db2.HeldMessages("wa")
	must(t, err)
	before, err := db2.HeldBefore("wa")
	must(t, err)
	if len(all) != 4 || len(before) != 3 || before[2].Body != "four" {
		t.Fatalf("after a new record: %d in all, %d of earlier opens (%v)", len(all), len(before), before)
	}
}

// crashCopy copies the store at path, its log included, as a crash
// would leave it now, beside it, and returns the copy's path.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	crashed := filepath.Join(filepath.Dir(path), "crashed.db")
	copyFile(t, path, crashed)
	gens, err := listWAL(path)
	must(t, err)
	for _, g := range gens {
		copyFile(t, walPath(path, g), walPath(crashed, g))
	}
	return crashed
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.WriteFile(to, b, 0o600))
}

// A record written lazily as read and then replaced (its send's command)
// keeps its key, and so its place among the records; one deleted by its
// handle is gone. A crash (the files as they are, never closed) keeps
// that, without waiting for any of the writes; an earlier process's
// record (HeldAt) is replaced in place too.
func TestReadRecordReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	db := openAt(t, path, Options{CheckpointRecords: 1 << 20, CheckpointInterval: time.Hour})
	rec := func(body string) HeldMessage {
		return HeldMessage{LoginID: "A", ChatID: "c", Body: body, Stanza: []byte("<message>" + body + "</message>")}
	}
	one := db.PutLazy(bg, "wa", rec("one"))
	two := db.PutLazy(bg, "wa", rec("two"))
	sent := rec("one")
	sent.Txn, sent.Command = "o-one", []byte("cmd-one")
	oneSent := one.Replace(bg, sent)
	two.Delete(bg)
	three := db.PutLazy(bg, "wa", rec("three"))
	if _, err := three.Wait(); err != nil { // written last, in call order
		t.Fatal(err)
	}
	k1, err := one.Wait()
	must(t, err)
	if k, err := oneSent.Wait(); k != k1 || err != nil {
		t.Fatalf("replaced under key %d, %v; want %d", k, err, k1)
	}
	// Written (to the log, without an fsync): no flush to bbolt before the crash.

	db2 := openAt(t, crashCopy(t, path), Options{})
	hs, err := db2.HeldBefore("wa")
	must(t, err)
	if len(hs) != 2 || hs[0].Body != "one" || string(hs[0].Command) != "cmd-one" || hs[0].Txn != "o-one" ||
		hs[1].Body != "three" || len(hs[1].Command) != 0 {
		t.Fatalf("after a crash: %+v, want one (sent) then three (read)", hs)
	}
	// An earlier process's record, replaced and then deleted by this one.
	sent3 := rec("three")
	sent3.Command = []byte("cmd-three")
	r := db2.HeldAt("wa", hs[1].Seq).Replace(bg, sent3)
	if k, err := r.Wait(); k != hs[1].Seq || err != nil {
		t.Fatalf("an earlier record replaced under key %d, %v; want %d", k, err, hs[1].Seq)
	}
	all, err := db2.HeldMessages("wa")
	must(t, err)
	if len(all) != 2 || string(all[1].Command) != "cmd-three" {
		t.Fatalf("after replacing an earlier record: %+v", all)
	}
	r.Delete(bg)
	db2.HeldAt("wa", hs[0].Seq).Delete(bg)
	if all, err := db2.HeldMessages("wa"); err != nil || len(all) != 0 {
		t.Fatalf("after deleting: %+v, %v", all, err)
	}
}
