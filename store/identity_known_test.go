package store

import (
	"testing"
	"time"
)

// TestMoveKnownOnly: with MoveKnownOnly, the move of someone who is a
// puppet under neither ID moves their chat and makes no puppet, in the
// move's one write; a puppet under the old ID, or the new one, is put as
// without the option.
func TestMoveKnownOnly(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	at := time.Now().Add(-time.Hour).UTC().Round(0)
	must(t, db.PutPuppets(bg, []Puppet{{Transport: tr, LoginID: login, UserID: "lid1", Name: "Alice"}, {Transport: tr, LoginID: login, UserID: "+33700", Name: "Carol"}}))
	must(t, db.PutMessages(bg, []MessageRef{{Transport: tr, LoginID: login, ChatID: "ghost", RemoteID: "m1", ID: "x1", Time: at}}))

	res, err := db.MoveContact(bg, "ghost", Puppet{Transport: tr, LoginID: login, UserID: "+33999", Name: "Ghost"}, OccupantAuto, MoveKnownOnly)
	if err != nil || res.HadOld || res.Messages != 1 {
		t.Fatalf("move of a non-contact: %+v %v, want its one message moved", res, err)
	}
	wantNotFound(t, "the non-contact's puppet", func() error { _, err := db.GetPuppet(tr, login, "+33999"); return err }())
	if r, err := db.LookupRemote(tr, login, "+33999", "m1"); err != nil || r.ID != "x1" {
		t.Errorf("the non-contact's message under the new chat: %+v %v", r, err)
	}

	for _, mv := range []struct{ old, new, name string }{{"lid1", "+33600", "Alice"}, {"lid2", "+33700", "Carol B"}} {
		if _, err := db.MoveContact(bg, mv.old, Puppet{Transport: tr, LoginID: login, UserID: mv.new, Name: mv.name}, OccupantAuto, MoveKnownOnly); err != nil {
			t.Fatal(err)
		}
		if p, err := db.GetPuppet(tr, login, mv.new); err != nil || p.Name != mv.name {
			t.Errorf("move %s to %s: puppet %+v %v, want %q", mv.old, mv.new, p, err, mv.name)
		}
	}
}
