package store

import (
	"maps"
	"path/filepath"
	"testing"
	"time"
)

// TestOccupantAliasChain: through moves A->B->C every ID names the first,
// A, so that archived messages of A and B and live ones of C derive one
// occupant-id; a replay keeps it; a move back to A makes A its own again;
// it survives a reopen; OccupantKeep leaves the new ID its own.
func TestOccupantAliasChain(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	aliases := func(want map[string]string) {
		t.Helper()
		got, err := db.OccupantAliases(tr, login)
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("aliases %v, %v; want %v", got, err, want)
		}
	}
	aliases(nil)
	move := func(old, new string, occ OccupantMove, want string) {
		t.Helper()
		res, err := db.MoveContact(bg, old, Puppet{Transport: tr, LoginID: login, UserID: new}, occ)
		if err != nil || res.Alias != want {
			t.Errorf("move %s -> %s: alias %q, %v; want %q", old, new, res.Alias, err, want)
		}
	}
	// A is a room member only (no puppet): the caller says it knew it.
	move("A", "B", OccupantFollow, "A")
	move("B", "C", OccupantAuto, "A") // B known by its alias
	move("B", "C", OccupantAuto, "A") // a replay
	aliases(map[string]string{"B": "A", "C": "A"})
	db = reopen(t, db)
	aliases(map[string]string{"B": "A", "C": "A"})
	move("C", "A", OccupantAuto, "")
	aliases(map[string]string{"B": "A", "C": "A"})
	// A new ID the caller shows already keeps its own ids, even of a
	// known old one.
	move("B", "D", OccupantKeep, "")
	aliases(map[string]string{"B": "A", "C": "A"})
}

// TestOccupantAliasUnknownOld: an event naming an old ID nobody knew
// changes nothing of a new ID that has a puppet; one naming an unknown old
// ID and an unknown new ID makes the new one follow the old.
func TestOccupantAliasUnknownOld(t *testing.T) {
	db := openTemp(t)
	const tr, login = "wa", "me"
	must(t, db.PutPuppets(bg, []Puppet{{Transport: tr, LoginID: login, UserID: "known", Name: "K"}}))
	if res, err := db.MoveContact(bg, "ghost", Puppet{Transport: tr, LoginID: login, UserID: "known"}, OccupantAuto); err != nil || res.Alias != "" {
		t.Errorf("unknown old, known new: alias %q, %v; want none", res.Alias, err)
	}
	if res, err := db.MoveContact(bg, "ghost2", Puppet{Transport: tr, LoginID: login, UserID: "fresh"}, OccupantAuto); err != nil || res.Alias != "ghost2" {
		t.Errorf("unknown old, unknown new: alias %q, %v; want ghost2", res.Alias, err)
	}
	if got, err := db.OccupantAliases(tr, login); err != nil || !maps.Equal(got, map[string]string{"fresh": "ghost2"}) {
		t.Errorf("aliases %v, %v", got, err)
	}
}

// TestOccupantAliasOldStore: a store written before the aliases (the
// v1 test store) has none, takes a move, and checks clean after.
func TestOccupantAliasOldStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	copyTestdataV1(t, path)
	db := openAt(t, path, Options{})
	if got, err := db.OccupantAliases("wa", "L1"); err != nil || got != nil {
		t.Fatalf("aliases of an old store: %v, %v", got, err)
	}
	if res, err := db.MoveContact(bg, "bob", Puppet{Transport: "wa", LoginID: "L1", UserID: "bob2", Name: "Bob"}, OccupantAuto); err != nil || !res.HadOld || res.Alias != "bob" {
		t.Fatalf("move in an old store: %+v, %v", res, err)
	}
	db = reopen(t, db)
	if got, err := db.OccupantAliases("wa", "L1"); err != nil || got["bob2"] != "bob" {
		t.Errorf("aliases after the move: %v, %v", got, err)
	}
	must(t, db.Close())
	rep, err := Inspect(path, time.Second)
	if err != nil || rep.Damaged() {
		t.Fatalf("check-store: %v, problems %v", err, rep)
	}
}
