package bridge_test

import (
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomDeclineRefused: a decline (XEP-0045 §7.8.2) to a group's room
// that the plugin cannot take (the echo plugin declines nothing) is an
// error reply from the room naming why, not silence: the user learns the
// invitation still stands.
func TestRoomDeclineRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	club := "club@" + domain
	raw(t, alice, `<message to='`+club+`' id='d1'><x xmlns='http://jabber.org/protocol/muc#user'><decline><reason>not for me</reason></decline></x></message>`)
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.ID == "d1"
	})
	if err != nil {
		t.Fatalf("no answer to the decline: %v", err)
	}
	if st.Type != "error" || st.Err == nil || st.Err.Text == "" || bareJID(st.From) != club {
		t.Errorf("the decline the plugin cannot take: want an error with its text from %s, got %s", club, st.XML)
	}
}
