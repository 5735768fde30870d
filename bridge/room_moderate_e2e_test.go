package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomModeration: the user deletes a member's message for everyone
// (XEP-0425) by its stanza-id. The network deletes it (and says so, as
// Telegram does); the joined resource gets one moderation notice with
// the reason, never a second retraction, and the archive keeps a
// tombstone. A message the gateway does not know, and a request without
// <retract/>, get clear errors.
func TestRoomModeration(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || !strings.Contains(info.XML, `var="urn:xmpp:message-moderate:1"`) {
		t.Fatalf("the room does not say it can be moderated: %v %s", err, info.XML)
	}
	groupchat(t, alice, "buy cheap pills")
	sid := stanzaID(t, roomMessage(t, alice, "Echo One", "buy cheap pills"))

	mod, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><moderate id='`+sid+`' xmlns='urn:xmpp:message-moderate:1'>`+
		`<retract xmlns='urn:xmpp:message-retract:1'/><reason>spam</reason></moderate></iq>`)
	if err != nil || mod.Type != "result" {
		t.Fatalf("moderation: %v %s", err, mod.XML)
	}
	// Everything up to a later message: one notice for sid.
	groupchat(t, alice, "after")
	notices := map[string]xmpptest.Stanza{} // by stanza id: Next may look at one twice
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		if st.Name == "message" && strings.Contains(st.XML, `<retract`) && strings.Contains(st.XML, `id="`+sid+`"`) {
			notices[st.ID] = st
		}
		return st.Name == "message" && nick(st.From) == "Echo One" && st.Body == "after"
	}); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 {
		t.Fatalf("%d notices of the moderation, want 1: %v", len(notices), notices)
	}
	var n xmpptest.Stanza
	for _, st := range notices {
		n = st
	}
	if n.From != room || !strings.Contains(n.XML, `<moderated xmlns="urn:xmpp:message-moderate:1" by="`+room+`/`+nick(j.self.From)+`"`) ||
		!strings.Contains(n.XML, "<reason>spam</reason>") {
		t.Fatalf("moderation notice: %s", n.XML)
	}
	page := queryMAM(t, alice, room, "")
	found := false
	for _, m := range page.msgs {
		if m.Result.ID == sid {
			found = true
			if b := m.Result.Forwarded.Message.Body; b != "This message was retracted." {
				t.Errorf("the archive still has the message: %q", b)
			}
		}
	}
	if !found {
		t.Errorf("the moderated message left no tombstone in the archive")
	}

	for body, cond := range map[string]string{
		`<moderate id='no-such-id' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate>`: "item-not-found",
		`<moderate id='` + sid + `' xmlns='urn:xmpp:message-moderate:1'/>`:                                                       "bad-request",
	} {
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'>`+body+`</iq>`)
		if err != nil || st.Err == nil || st.Err.Condition != cond {
			t.Errorf("%s: want %s, got %v %s", body, cond, err, st.XML)
		}
	}
}
