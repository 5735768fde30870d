package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomPrivateMessageToSelf: a private message to the user's own
// occupant JID is refused with not-acceptable saying the nick is the
// user's own. Before, the error said nobody had that nick in the room.
func TestRoomPrivateMessageToSelf(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	raw(t, alice, `<message type='chat' id='pm1' to='`+room+`/`+self+`'><body>hi me</body></message>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && s.ID == "pm1" })
	if err != nil {
		t.Fatalf("no answer: %v; pending %v", err, alice.Pending())
	}
	if st.Type != "error" || !strings.Contains(st.XML, "<not-acceptable") || !strings.Contains(st.XML, "your own nick") {
		t.Fatalf("want not-acceptable saying it is the user's own nick, got %s", st.XML)
	}
}
