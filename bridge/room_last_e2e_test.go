package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomLastActivity: XEP-0012 asked of a room's JID is
// service-unavailable, as Prosody's MUC answers (no handler for it: a
// room is never online), not a contact's item-not-found saying "when
// this contact was last online".
func TestRoomLastActivity(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='jabber:iq:last'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "service-unavailable" || strings.Contains(st.Err.Text, "contact") {
		t.Errorf("a room's last activity: %s, want service-unavailable", st.XML)
	}
}

// TestOccupantLastActivity: XEP-0012 asked of an occupant's JID
// (room/nick) is answered as Prosody's MUC answers it, not as a
// contact's: from a resource not joined, not-acceptable; of a nick
// nobody holds, item-not-found; of a member or the user, which the room
// does not answer for, service-unavailable. Before, each was the contact
// path's "a contact has no resources here".
func TestOccupantLastActivity(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	last := func(nick string) *xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`/`+nick+`'><query xmlns='jabber:iq:last'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if st.Type != "error" || st.Err == nil || strings.Contains(st.Err.Text, "contact") {
			t.Errorf("last activity of %s: %s, want the room's error", nick, st.XML)
			return &xmpptest.Stanza{Err: &xmpptest.StanzaError{}}
		}
		return &st
	}
	if got := last("Echo One"); got.Err.Condition != "not-acceptable" {
		t.Errorf("an occupant's last activity asked before joining: %s, want not-acceptable", got.Err.Condition)
	}
	self := nick(join(t, alice, "a", "").self.From)
	if got := last("Echo One"); got.Err.Condition != "service-unavailable" || !strings.Contains(got.Err.Text, "echo-1@"+domain) {
		t.Errorf("a member's last activity: %s %q, want service-unavailable naming its address", got.Err.Condition, got.Err.Text)
	}
	if got := last(self); got.Err.Condition != "service-unavailable" {
		t.Errorf("the user's own last activity in the room: %s, want service-unavailable", got.Err.Condition)
	}
	if got := last("nobody"); got.Err.Condition != "item-not-found" {
		t.Errorf("the last activity of a nick nobody holds: %s, want item-not-found", got.Err.Condition)
	}
}
