package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomActionsNameCorrection: once a room message is corrected,
// Conversations names it by the correction (MessageParser: the corrected
// message takes the correction's id as its remote id and, in older
// releases, the correction's stanza-id as its server id), the user's own
// correction and a member's. A reaction naming either reaches the message on the
// network. Before, each was item-not-found.
func TestRoomActionsNameCorrection(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	id := groupchat(t, alice, "see you")
	roomMessage(t, alice, self, "see you")
	roomMessage(t, alice, "Echo One", "see you")
	fix := "fix-" + id
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='`+fix+`' to='`+room+`'><body>see you!</body><replace xmlns='urn:xmpp:message-correct:0' id='`+id+`'/><origin-id xmlns='urn:xmpp:sid:0' id='`+fix+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	own := roomMessage(t, alice, self, "see you!")
	member := roomMessage(t, alice, "Echo One", "see you!")
	if !strings.Contains(member.XML, "urn:xmpp:message-correct:0") || member.ID == "" {
		t.Fatalf("Echo One's correction: %s", member.XML)
	}
	for i, target := range []string{fix, stanzaID(t, own), member.ID, stanzaID(t, member)} {
		rid := alice.NewID()
		if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='`+rid+`' to='`+room+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+target+`'><reaction>👍</reaction></reactions></message>`); err != nil {
			t.Fatal(err)
		}
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && (s.Type == "error" && s.ID == rid || s.From == room+"/Echo One" && strings.Contains(s.XML, "<reactions"))
		})
		if err != nil || st.Type == "error" {
			t.Errorf("reaction %d naming the correction %s: %v %s", i, target, err, st.XML)
		}
	}
}
