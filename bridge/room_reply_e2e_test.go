package bridge_test

import (
	"regexp"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomReplyNamesAuthor: a network reply in a room names the
// replied-to message's author by their occupant JID (XEP-0461's 'to'),
// beside the message's stanza-id. Echo One's echo of the user's reply is
// a reply to the user's reply: it names the user's occupant JID.
// Before, the <reply/> had no 'to'.
func TestRoomReplyNamesAuthor(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "first")
	roomMessage(t, alice, self, "first")
	repeatSID := stanzaID(t, roomMessage(t, alice, "Echo One", "first"))

	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='re1' to='`+room+`'><body>answer</body><reply xmlns='urn:xmpp:reply:0' to='`+room+`/Echo One' id='`+repeatSID+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	ownSID := stanzaID(t, roomMessage(t, alice, self, "answer"))
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == room+"/Echo One" && strings.HasSuffix(s.Body, "answer")
	})
	if err != nil {
		t.Fatalf("no reply from Echo One: %v; pending %v", err, alice.Pending())
	}
	reply := regexp.MustCompile(`<reply [^>]*>`).FindString(st.XML)
	if !strings.Contains(reply, ` to="`+room+`/`+self+`"`) || !strings.Contains(reply, ` id="`+ownSID+`"`) {
		t.Fatalf("Echo One's reply: want to %s/%s and id %s, got %s", room, self, ownSID, st.XML)
	}
}
