package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppendArchiveSent: the reflection of the user's own room message
// and its map entry (and txn) are one log write, both found at once,
// both there after a restart; a duplicate reflection still records the
// map entry.
func TestAppendArchiveSent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	ref := MessageRef{Transport: "wa", LoginID: "l", ChatID: testRoom.RoomID, RemoteID: "r1", OriginID: "o1", ID: "i1", FromMe: true}
	writes := db.logWrites.Load()
	res, err := db.AppendArchiveSent(bg, testRoom, archMsg(1, archBase), ref, "t1")
	must(t, err)
	if got := db.logWrites.Load() - writes; got != 1 {
		t.Errorf("%d log writes, want 1", got)
	}
	if res.Duplicate || res.StanzaID == "" {
		t.Fatalf("append: %+v", res)
	}
	check := func(db *DB) {
		t.Helper()
		if sid, err := db.ArchivedStanzaID(bg, testRoom, "r1"); err != nil || sid != res.StanzaID {
			t.Errorf("stanza-id of r1: %q, %v; want %q", sid, err, res.StanzaID)
		}
		if got, err := db.LookupXMPP("wa", "l", testRoom.RoomID, "o1"); err != nil || got.RemoteID != "r1" {
			t.Errorf("map entry of o1: %+v, %v", got, err)
		}
		if remote, err := db.GetTxn("wa", "l", "t1"); err != nil || remote != "r1" {
			t.Errorf("txn t1: %q, %v", remote, err)
		}
	}
	check(db)
	must(t, db.Close())
	db = openAt(t, path, Options{})
	check(db)

	// The network's echo archived first: the reflection is a duplicate,
	// the map entry is stored all the same.
	echo := archMsg(2, archBase)
	_, err = db.AppendArchive(bg, testRoom, []ArchivedMessage{echo})
	must(t, err)
	ref2 := ref
	ref2.RemoteID, ref2.OriginID, ref2.ID = echo.RemoteID, "o2", "i2"
	dup, err := db.AppendArchiveSent(bg, testRoom, echo, ref2, "")
	must(t, err)
	if !dup.Duplicate {
		t.Errorf("reflection of an archived message: %+v", dup)
	}
	if got, err := db.LookupXMPP("wa", "l", testRoom.RoomID, "o2"); err != nil || got.RemoteID != echo.RemoteID {
		t.Errorf("map entry of a duplicate reflection: %+v, %v", got, err)
	}
}

// TestAppendArchiveSentBadInput: bad input to either part refuses the
// call with ErrInvalid, and neither part is stored.
func TestAppendArchiveSentBadInput(t *testing.T) {
	db := openTemp(t)
	good := MessageRef{Transport: "wa", LoginID: "l", ChatID: testRoom.RoomID, RemoteID: "r1", OriginID: "o1", FromMe: true}
	bigMsg := archMsg(1, archBase)
	bigMsg.Payload = []byte(strings.Repeat("x", MaxArchivePayload+1))
	badRef := good
	badRef.LoginID = "bad\x00login"
	for _, c := range []struct {
		name string
		m    ArchivedMessage
		ref  MessageRef
		txn  string
	}{
		{"payload too large", bigMsg, good, ""},
		{"bad ref", archMsg(1, archBase), badRef, ""},
		{"bad txn", archMsg(1, archBase), good, strings.Repeat("t", MaxKeyPart+1)},
	} {
		if _, err := db.AppendArchiveSent(bg, testRoom, c.m, c.ref, c.txn); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
		}
	}
	if _, err := db.ArchivedStanzaID(bg, testRoom, archMsg(1, archBase).RemoteID); !errors.Is(err, ErrNotFound) {
		t.Errorf("archived after a refused call: %v", err)
	}
	if _, err := db.LookupXMPP("wa", "l", testRoom.RoomID, "o1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("map entry after a refused call: %v", err)
	}
}
