package bridge_test

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomSyncShowsRoleChange: a member's new standing that only the
// room sync finds (made on the phone while the gateway was down, an
// event the network lost) reaches the joined client as the member's
// occupant presence, without a rejoin. Here the echo network makes Echo
// One an admin without an event, and a relogin syncs the room. Before,
// the sync took the change in without a word: the client saw Echo One a
// plain member until it joined again.
func TestRoomSyncShowsRoleChange(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	if got := standingOf(t, j.occupants, "Echo One"); got != [2]string{"member", "participant"} {
		t.Fatalf("Echo One joined as %v", got)
	}
	groupchat(t, alice, "quiet-admin 1")
	roomMessage(t, alice, "", "quiet-admin 1") // reflected with the send's result: the change is made
	if r, st := command(t, alice, "relogin", "", "", nil); r.Command.Status != "completed" {
		t.Fatalf("relogin: %s", st.XML)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		// Other presences of Echo One may come first (its availability
		// after the relogin): the one with the new standing is the point.
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/Echo One" && s.Type == ""
		})
		if err != nil {
			t.Fatalf("Echo One never shown an admin after the sync: %v", err)
		}
		if occupantStanding(t, st.XML) == [2]string{"admin", "moderator"} {
			return
		}
	}
}
