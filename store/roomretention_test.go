package store

import (
	"errors"
	"testing"
	"time"
)

// TestRoomRetention: a room's own retention is kept across a reopen and
// listed per transport; a zero one, DeleteArchive of the room and
// DeleteLogin of the user forget it, and nobody else's; bad input is
// refused.
func TestRoomRetention(t *testing.T) {
	db := openTemp(t)
	a := RoomKey{Transport: "wa", UserJID: "alice@example.org", RoomID: "g1"}
	a2 := RoomKey{Transport: "wa", UserJID: "alice@example.org", RoomID: "g2"}
	b := RoomKey{Transport: "wa", UserJID: "bob@example.org", RoomID: "g1"}
	week := ArchiveRetention{MaxAge: 7 * 24 * time.Hour, MaxMessages: 100}
	for _, k := range []RoomKey{a, a2, b} {
		if err := db.SetRoomRetention(bg, k, week); err != nil {
			t.Fatal(err)
		}
	}
	db = reopen(t, db)
	if got, err := db.RoomRetention(a); err != nil || got != week {
		t.Fatalf("RoomRetention = %+v %v", got, err)
	}
	if err := db.SetRoomRetention(bg, a2, ArchiveRetention{}); err != nil {
		t.Fatal(err)
	}
	all, err := db.RoomRetentions("wa")
	if err != nil || len(all) != 2 || all[a] != week || all[b] != week {
		t.Fatalf("RoomRetentions = %v %v", all, err)
	}
	if err := db.DeleteArchive(bg, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.RoomRetention(a); got != (ArchiveRetention{}) {
		t.Errorf("the room's retention outlived its archive: %+v", got)
	}
	if err := db.SetRoomRetention(bg, a, week); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteLogin(bg, "wa", "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.RoomRetentions("wa"); len(all) != 1 || all[b] != week {
		t.Errorf("after DeleteLogin of alice: %v", all)
	}
	if err := db.SetRoomRetention(bg, b, ArchiveRetention{MaxMessages: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative retention: %v", err)
	}
	if err := db.SetRoomRetention(bg, RoomKey{Transport: "wa", UserJID: "", RoomID: "g"}, week); err == nil {
		t.Error("a key without a user is taken")
	}
}
