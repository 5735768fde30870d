package store

import (
	"path/filepath"
	"testing"
)

// A login deleted while its plugin is down leaves an owed logout with
// what the plugin needs, in the same transaction as the deletion; it
// survives a reopen and goes once settled.
func TestOwedLogout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openAt(t, path, Options{})
	seedLogin(t, db, "wa", "alice@x", "A")
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@x", LoginID: "A", SavedState: []byte("state"), DataDir: "alice-1"}))
	seedLogin(t, db, "wa", "bob@x", "B")

	must(t, db.DeleteLoginOwingLogout(bg, "wa", "alice@x"))
	must(t, db.DeleteLogin(bg, "wa", "bob@x")) // an ordinary deletion owes nothing
	must(t, db.DeleteLoginOwingLogout(bg, "wa", "nobody@x"))

	if _, err := db.GetLogin("wa", "alice@x"); err == nil {
		t.Fatal("login still there")
	}
	if p, r, tx, d, o := loginData(t, db, "wa", "A"); p || r || tx || d || o {
		t.Errorf("data left behind: puppet=%v ref=%v txn=%v dedup=%v outbox=%v", p, r, tx, d, o)
	}
	must(t, db.Close())
	db = openAt(t, path, Options{})

	owed, err := db.OwedLogouts("wa")
	must(t, err)
	if len(owed) != 1 {
		t.Fatalf("owed %+v, want alice's login only", owed)
	}
	l := owed[0]
	if l.Transport != "wa" || l.UserJID != "alice@x" || l.LoginID != "A" || string(l.SavedState) != "state" || l.DataDir != "alice-1" {
		t.Fatalf("owed logout %+v lost what the plugin needs", l)
	}
	if other, err := db.OwedLogouts("tg"); err != nil || len(other) != 0 {
		t.Fatalf("another transport owes %v (%v)", other, err)
	}
	must(t, db.SettleLogout(bg, l))
	if owed, err := db.OwedLogouts("wa"); err != nil || len(owed) != 0 {
		t.Fatalf("after settling: %v (%v)", owed, err)
	}
}
