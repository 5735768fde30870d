package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomLargeReflectionArchived: the user's groupchat message whose
// reflection is over the archive's 256 KB (its XHTML-IM copy holds
// 50,000 quotes, one byte each as the client sends them, six written
// again: "&apos;") comes back live whole, with the room's stanza-id,
// and MAM has it under that id, its body and small parts kept, saying
// it was cut. Before, the archive refused it: it came back without a
// stanza-id and the room's history had a hole there.
func TestRoomLargeReflectionArchived(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	rich := strings.Repeat("'", 50000)
	raw(t, alice, `<message type='groupchat' id='big' to='`+room+`'><body>a big one</body><origin-id xmlns='urn:xmpp:sid:0' id='big'/>`+
		`<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>`+rich+`</p></body></html></message>`)
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.ID == "big"
	})
	if err != nil || st.Type == "error" || nick(st.From) != self || len(st.XML) < len(rich)*5 {
		t.Fatalf("want the whole reflection from %s, got %v %.300s", self, err, st.XML)
	}
	id := roomStanzaID(st)
	if id == "" {
		t.Fatalf("the large message came back without the room's stanza-id: not archived")
	}
	page := queryMAM(t, alice, room, "")
	for _, m := range page.msgs {
		if m.Result.ID != id {
			continue
		}
		b := m.Result.Forwarded.Message.Body
		if !strings.HasPrefix(b, "a big one\n") || !strings.Contains(b, "too large for the room's archive") || nick(m.Result.Forwarded.Message.From) != self {
			t.Errorf("archived from %s as %q", m.Result.Forwarded.Message.From, b)
		}
		return
	}
	t.Fatalf("MAM does not hold the large message %s: %d messages", id, len(page.msgs))
}
