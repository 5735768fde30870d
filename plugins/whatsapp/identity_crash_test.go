package whatsapp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.mau.fi/whatsmeow/types"
)

// A LID's move is forgotten on disk only once made: the gateway killed
// while it moves (the callback never returns) moves it again at the next
// start, where before the LID was forgotten first and its chat's pins,
// timer and polls stayed under it for good.
func TestIdentityMoveSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	lid := types.NewJID("1234567", types.HiddenUserServer)
	pn := types.NewJID("33611111111", types.DefaultUserServer)
	crashing := newIdentities(nil, dir, func(string, types.JID) { panic("killed while moving") }, nil)
	if got := crashing.userID(lid); got != lidPrefix+"1234567" {
		t.Fatalf("userID = %q", got)
	}
	func() {
		defer func() { _ = recover() }()
		crashing.learn(lid, pn)
	}()

	var moves []string
	again := newIdentities(nil, dir, func(old string, to types.JID) { moves = append(moves, old+" -> "+to.User) }, nil)
	again.learn(pn, lid)
	if len(moves) != 1 || moves[0] != lidPrefix+"1234567 -> 33611111111" {
		t.Fatalf("after the restart: moves %q, want the LID moved again", moves)
	}
	again.learn(pn, lid)
	third := newIdentities(nil, dir, func(old string, _ types.JID) { moves = append(moves, old) }, nil)
	third.learn(pn, lid)
	if len(moves) != 1 {
		t.Errorf("moved %d times: once made, a move is forgotten for good", len(moves))
	}
}

// The file of the LIDs shown is written through sdk.WriteFileDurably
// (synced, file and folder: a rename alone may leave it empty after a
// power cut, and the moves it keeps lost), whole, with no temporary file
// left behind; and read back.
func TestIdentitiesWrittenDurably(t *testing.T) {
	dir := t.TempDir()
	writes := durableWrites(t, writeExposed, dir)
	path := filepath.Join(dir, exposedName)
	ids := newIdentities(nil, dir, nil, nil)
	ids.userID(types.NewJID("1234567", types.HiddenUserServer))
	ids.userID(types.NewJID("7654321", types.HiddenUserServer))
	if wrote := writes(); len(wrote) != 2 || wrote[0] != exposedName || wrote[1] != exposedName {
		t.Fatalf("durable writes %q, want %s twice", wrote, exposedName)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	if err := json.Unmarshal(b, &users); err != nil || len(users) != 2 || users[0] != "1234567" || users[1] != "7654321" {
		t.Fatalf("%s: %s (%v), want both LIDs", exposedName, b, err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind (%v)", err)
	}
	var moves []string
	again := newIdentities(nil, dir, func(old string, _ types.JID) { moves = append(moves, old) }, nil)
	again.learn(types.NewJID("7654321", types.HiddenUserServer), types.NewJID("33622222222", types.DefaultUserServer))
	if wrote := writes(); len(moves) != 1 || moves[0] != lidPrefix+"7654321" || len(wrote) != 3 {
		t.Errorf("read back and moved: moves %q, writes %q; want the LID moved and the file written again", moves, wrote)
	}
}
