package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomOwnMarkerReflected: the user's read marker in a room (XEP-0333
// <displayed/> naming a message's stanza-id) comes back, as a MUC
// service reflects any groupchat message, to each joined resource from
// the user's occupant, with the client's id and the user's occupant-id,
// and no stanza-id (not archived): Dino takes a displayed marker from
// its own occupant as read on another device. Before, it went to the
// network only, and the phone kept the room unread.
func TestRoomOwnMarkerReflected(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	j := join(t, alice, "a", "")
	self := nick(j.self.From)
	selfID := oneOccupantID(t, "self-presence", j.self)
	join(t, phone, "a", "")
	groupchat(t, alice, "read me")
	sid := stanzaID(t, roomMessage(t, phone, "Echo One", "read me"))

	raw(t, alice, `<message type='groupchat' id='read-1' to='`+room+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+sid+`'/></message>`)
	for _, c := range []*xmpptest.Client{phone, alice} {
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == room+"/"+self && strings.Contains(s.XML, "<displayed")
		})
		if err != nil {
			t.Fatalf("the user's read marker was not reflected: %v; pending %v", err, c.Pending())
		}
		if st.ID != "read-1" || st.Type != "groupchat" || !strings.Contains(st.XML, `id="`+sid+`"`) {
			t.Errorf("reflected marker: want id read-1 naming %s, got %s", sid, st.XML)
		}
		if oneOccupantID(t, "reflected marker", st) != selfID {
			t.Errorf("reflected marker without the user's occupant-id %s: %s", selfID, st.XML)
		}
		if strings.Contains(st.XML, "<stanza-id") {
			t.Errorf("a reflected marker is not archived, yet has a stanza-id: %s", st.XML)
		}
	}
}
