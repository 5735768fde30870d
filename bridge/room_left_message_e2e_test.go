package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestMessageToLeftRoom: a groupchat message, or a private message to an
// occupant, sent to the room of a group the user left (from a client that
// missed the leave) is refused not-acceptable saying the user left, the
// answer XEP-0045 gives a non-occupant, on which Conversations self-pings
// the room and joins again, to be told why it may not. It was
// item-not-found ("you are in no group"), which Conversations shows as a
// failed message in a room it still takes itself to be in.
func TestMessageToLeftRoom(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "/leave")
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.Type == "unavailable" && st.From == room+"/"+self
	}); err != nil {
		t.Fatalf("not left: %v", err)
	}
	for _, m := range []struct{ what, raw string }{
		{"groupchat", `<message type='groupchat' id='g1' to='` + room + `'><body>still there?</body></message>`},
		{"private message", `<message type='chat' id='g2' to='` + room + `/Echo One'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`},
	} {
		if err := alice.SendRaw(ctxT(t), m.raw); err != nil {
			t.Fatal(err)
		}
		id := m.raw[strings.Index(m.raw, "id='")+4:][:2]
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && s.ID == id })
		if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "not-acceptable" || !strings.Contains(st.XML, "you left this group") {
			t.Errorf("%s to the group left: want not-acceptable saying you left: %v %s", m.what, err, st.XML)
		}
	}
	// Nothing reached the network: no echo of either.
	time.Sleep(300 * time.Millisecond)
	for _, st := range alice.Pending() {
		if st.Body == "still there?" || st.Body == "psst" {
			t.Fatalf("the network got a message for the group left: %s", st.XML)
		}
	}
}
