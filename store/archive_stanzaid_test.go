package store

import (
	"errors"
	"path/filepath"
	"testing"
)

// The stanza-id of a remote message ID is found while the append is
// only in the log, without a checkpoint (a reaction's target in a busy
// room), and from bbolt after one; an unknown ID is ErrNotFound.
func TestArchivedStanzaID(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "a.db"), hotOnly)
	res, err := db.AppendArchive(bg, testRoom, []ArchivedMessage{archMsg(1, archBase), archMsg(2, archBase)})
	must(t, err)
	id, err := db.ArchivedStanzaID(bg, testRoom, "r2")
	if err != nil || id != res[1].StanzaID {
		t.Fatalf("logged: %q %v, want %q", id, err, res[1].StanzaID)
	}
	if !db.roomLogged(testRoom) {
		t.Fatal("the lookup checkpointed the room's appends")
	}
	// One not appended yet (a reaction overtaking its target) is not
	// found, and forces no checkpoint either.
	if _, err := db.ArchivedStanzaID(bg, testRoom, "r9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown remote ID: %v, want ErrNotFound", err)
	}
	if !db.roomLogged(testRoom) {
		t.Fatal("the lookup of an unknown ID checkpointed the room's appends")
	}
	must(t, db.Flush(bg))
	if id, err := db.ArchivedStanzaID(bg, testRoom, "r1"); err != nil || id != res[0].StanzaID {
		t.Fatalf("in bbolt: %q %v, want %q", id, err, res[0].StanzaID)
	}
	if _, err := db.ArchivedStanzaID(bg, testRoom, ""); err == nil {
		t.Fatal("an empty remote ID was accepted")
	}
}
