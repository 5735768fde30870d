package store

import (
	"path/filepath"
	"testing"
)

// A deleted login leaves its user remembered as logged out, across a
// reopen, until they log in again or are forgotten; deleting a login
// that is not there remembers nobody.
func TestLoggedOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openAt(t, path, Options{})
	seedLogin(t, db, "wa", "alice@x", "A")
	seedLogin(t, db, "wa", "bob@x", "B")
	loggedOut := func(user string) bool {
		t.Helper()
		out, err := db.LoggedOut("wa", user)
		must(t, err)
		return out
	}
	if loggedOut("alice@x") {
		t.Fatal("logged out while logged in")
	}
	must(t, db.DeleteLogin(bg, "wa", "alice@x"))
	must(t, db.DeleteLoginOwingLogout(bg, "wa", "bob@x"))
	must(t, db.DeleteLogin(bg, "wa", "nobody@x"))
	must(t, db.Close())
	db = openAt(t, path, Options{})
	if !loggedOut("alice@x") || !loggedOut("bob@x") {
		t.Fatal("a deleted login's user not remembered as logged out")
	}
	if loggedOut("nobody@x") {
		t.Error("a user who had no login remembered as logged out")
	}
	if out, err := db.LoggedOut("tg", "alice@x"); err != nil || out {
		t.Errorf("logged out of another transport: %v %v", out, err)
	}
	must(t, db.ForgetLoggedOut(bg, "wa", "alice@x"))
	must(t, db.ForgetLoggedOut(bg, "wa", "nobody@x"))
	seedLogin(t, db, "wa", "bob@x", "B")
	if loggedOut("alice@x") || loggedOut("bob@x") {
		t.Error("remembered after being forgotten, or after a new login")
	}
}
