package store

import (
	"errors"
	"strings"
	"testing"
)

// TestContactAvatars: a contact's avatar record is kept beside its puppet,
// outlives a reopen, and goes with the puppet (DeletePuppet(s), a move)
// and with the login; none is kept for a contact with no puppet, nor an
// oversized one.
func TestContactAvatars(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: "alice@x", LoginID: "A"}))
	var ps []Puppet
	for _, id := range []string{"u1", "u2", "u3", "u4"} {
		ps = append(ps, Puppet{Transport: "tg", LoginID: "A", UserID: id, Name: id})
	}
	must(t, db.PutPuppets(bg, ps))
	for _, id := range []string{"u1", "u2", "u3", "u4", "stranger"} {
		must(t, db.PutContactAvatar(bg, "tg", "A", id, ContactAvatar{AvatarID: "av-" + id, Hash: "h-" + id}))
	}
	if err := db.PutContactAvatar(bg, "tg", "A", "u1", ContactAvatar{AvatarID: strings.Repeat("x", maxAvatarID+1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("an oversized avatar ID: %v, want ErrInvalid", err)
	}

	db = reopen(t, db)
	avs := func() map[string]ContactAvatar {
		t.Helper()
		m, err := db.ContactAvatars("tg", "A")
		must(t, err)
		return m
	}
	got := avs()
	if len(got) != 4 || got["u1"] != (ContactAvatar{AvatarID: "av-u1", Hash: "h-u1"}) {
		t.Fatalf("after a reopen: %v, want u1..u4's (no stranger's)", got)
	}
	must(t, db.DeletePuppet(bg, "tg", "A", "u1"))
	must(t, db.DeletePuppets(bg, "tg", "A", []string{"u2"}))
	if _, err := db.MoveContact(bg, "u3", Puppet{Transport: "tg", LoginID: "A", UserID: "u5", Name: "u5"}, OccupantAuto); err != nil {
		t.Fatal(err)
	}
	if got := avs(); len(got) != 1 || got["u4"].AvatarID != "av-u4" {
		t.Errorf("after deleting u1, u2 and moving u3: %v, want u4's alone", got)
	}
	must(t, db.DeleteLogin(bg, "tg", "alice@x"))
	if got := avs(); len(got) != 0 {
		t.Errorf("the records outlived the login: %v", got)
	}
}
