package store

import (
	"fmt"
	"testing"
)

// TestMemberAvatars: a group member's avatar record outlives a reopen,
// goes with its room (another room's stays) and with the login, and a
// login keeps at most MaxMemberAvatars of them.
func TestMemberAvatars(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: "alice@x", LoginID: "A"}))
	must(t, db.PutMemberAvatar(bg, "tg", "A", "g1", "m1", ContactAvatar{AvatarID: "av-1", Hash: "h-1"}))
	must(t, db.PutMemberAvatar(bg, "tg", "A", "g10", "m2", ContactAvatar{AvatarID: "av-2", Hash: "h-2"}))
	db = reopen(t, db)
	got, err := db.MemberAvatars("tg", "A")
	must(t, err)
	if len(got) != 2 || got["m1"] != (ContactAvatar{AvatarID: "av-1", Hash: "h-1"}) {
		t.Fatalf("after a reopen: %v", got)
	}
	must(t, db.DeleteMemberAvatarsIn(bg, "tg", "A", "g1"))
	got, err = db.MemberAvatars("tg", "A")
	must(t, err)
	if len(got) != 1 || got["m2"].AvatarID != "av-2" {
		t.Fatalf("after g1 ended: %v, want g10's m2 alone", got)
	}
	for i := range MaxMemberAvatars + 5 {
		must(t, db.PutMemberAvatar(bg, "tg", "A", "g2", fmt.Sprintf("u%d", i), ContactAvatar{AvatarID: "x"}))
	}
	got, err = db.MemberAvatars("tg", "A")
	must(t, err)
	if len(got) != MaxMemberAvatars {
		t.Errorf("%d records, want the bound %d", len(got), MaxMemberAvatars)
	}
	must(t, db.DeleteLogin(bg, "tg", "alice@x"))
	if got, _ := db.MemberAvatars("tg", "A"); len(got) != 0 {
		t.Errorf("%d records after the login went", len(got))
	}
}
