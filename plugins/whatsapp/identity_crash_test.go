package whatsapp

import (
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
	crashing := newIdentities(nil, dir, func(string, types.JID) { panic("killed while moving") })
	if got := crashing.userID(lid); got != lidPrefix+"1234567" {
		t.Fatalf("userID = %q", got)
	}
	func() {
		defer func() { _ = recover() }()
		crashing.learn(lid, pn)
	}()

	var moves []string
	again := newIdentities(nil, dir, func(old string, to types.JID) { moves = append(moves, old+" -> "+to.User) })
	again.learn(pn, lid)
	if len(moves) != 1 || moves[0] != lidPrefix+"1234567 -> 33611111111" {
		t.Fatalf("after the restart: moves %q, want the LID moved again", moves)
	}
	again.learn(pn, lid)
	third := newIdentities(nil, dir, func(old string, _ types.JID) { moves = append(moves, old) })
	third.learn(pn, lid)
	if len(moves) != 1 {
		t.Errorf("moved %d times: once made, a move is forgotten for good", len(moves))
	}
}
