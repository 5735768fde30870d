package store

import (
	"errors"
	"testing"
)

// TestMovedGroups: a group's move is kept per login, outlives a reopen,
// and goes with the login (DeleteLogin); another login's and another
// transport's stay.
func TestMovedGroups(t *testing.T) {
	db := openTemp(t)
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: "alice@x", LoginID: "A"}))
	must(t, db.PutLogin(bg, Login{Transport: "tg", UserJID: "bob@x", LoginID: "B"}))
	must(t, db.PutMovedGroup(bg, "tg", "A", "-42", "-10042"))
	must(t, db.PutMovedGroup(bg, "tg", "B", "-42", "-10042"))
	must(t, db.PutMovedGroup(bg, "wa", "A", "g1", "g2"))

	db = reopen(t, db)
	moved := func(transport, login, chat string) string {
		t.Helper()
		next, err := db.MovedGroup(transport, login, chat)
		must(t, err)
		return next
	}
	if got := moved("tg", "A", "-42"); got != "-10042" {
		t.Fatalf("moved group after a reopen: %q, want -10042", got)
	}
	if got := moved("tg", "A", "-43"); got != "" {
		t.Errorf("a group that never moved: %q", got)
	}
	if got := moved("tg", "C", "-42"); got != "" {
		t.Errorf("a login with no data: %q", got)
	}

	must(t, db.DeleteLogin(bg, "tg", "alice@x"))
	if got := moved("tg", "A", "-42"); got != "" {
		t.Errorf("the move outlived the login: %q", got)
	}
	if moved("tg", "B", "-42") != "-10042" || moved("wa", "A", "g1") != "g2" {
		t.Error("another login's moves went with alice's")
	}

	if err := db.PutMovedGroup(bg, "tg", "B", "-42", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("a move to no chat: %v, want ErrInvalid", err)
	}
	if _, err := db.MovedGroup("tg", "", "-42"); !errors.Is(err, ErrInvalid) {
		t.Errorf("no login ID: %v, want ErrInvalid", err)
	}
}
