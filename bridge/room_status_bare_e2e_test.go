package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomStatusToBareJID: a joined resource's status change sent to the
// room's bare JID, without the MUC <x/> (some clients send their
// presence updates there), is taken as sent to the user's occupant JID,
// as Prosody's MUC takes it (handle_presence_to_room: to the sender's
// current nick): reflected with 110 to each joined resource. Before, it
// was dropped and the occupant kept the old availability.
func TestRoomStatusToBareJID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	me := room + "/" + nick(join(t, alice, "a", "").self.From)
	join(t, phone, "a", "")

	raw(t, alice, `<presence to='`+room+`'><show>away</show><status>at lunch</status></presence>`)
	for _, c := range []*xmpptest.Client{alice, phone} {
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == me })
		if err != nil {
			t.Fatalf("no self-presence from %s: %v; pending %v", me, err, c.Pending())
		}
		if st.Type != "" || !strings.Contains(st.XML, `code="110"`) ||
			!strings.Contains(st.XML, "<show>away</show>") || !strings.Contains(st.XML, "<status>at lunch</status>") {
			t.Errorf("want an available self-presence (110), away, at lunch: got %s", st.XML)
		}
	}
}
