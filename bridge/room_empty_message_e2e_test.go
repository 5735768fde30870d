package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// emptyCases are messages that ask the network for nothing although the
// user's client sent them as something: each is refused, by id, with
// its condition and a text that says why; silent ones (a chat state
// alone, a receipt) are not.
var emptyCases = []struct{ id, payload, cond, says string }{
	{"ws", `<body>  
	 </body>`, "not-acceptable", "white space only"},
	{"unk", `<attention xmlns='urn:xmpp:attention:0'/>`, "feature-not-implemented", "attention"},
	{"unk-ids", `<foo xmlns='urn:example:foo'/><origin-id xmlns='urn:xmpp:sid:0' id='unk-ids'/><store xmlns='urn:xmpp:hints'/>`, "feature-not-implemented", "urn:example:foo"},
	// A reply (XEP-0461) that is its quote alone, the fallback.
	{"quote", `<body>&gt; hi
</body><reply xmlns='urn:xmpp:reply:0' id='x1'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='5'/></fallback>`, "not-acceptable", "nothing but the quoted text"},
}

// silentCases are messages meant to carry no words: never answered.
var silentCases = []string{
	`<composing xmlns='http://jabber.org/protocol/chatstates'/>`,
	`<body> </body><active xmlns='http://jabber.org/protocol/chatstates'/>`,
	`<received xmlns='urn:xmpp:receipts' id='x'/>`,
	`<foo xmlns='urn:example:foo'/><paused xmlns='http://jabber.org/protocol/chatstates'/>`,
	`<origin-id xmlns='urn:xmpp:sid:0' id='meta-only'/>`,
}

// checkEmptyRefused sends each case to to as typ, then the silent ones,
// then words; it checks each case is answered with its error, in order,
// and that no silent one is answered before the words come back (done).
func checkEmptyRefused(t *testing.T, c *xmpptest.Client, to, typ string, words func(), done func(xmpptest.Stanza) bool) {
	t.Helper()
	for _, k := range emptyCases {
		raw(t, c, `<message type='`+typ+`' id='`+k.id+`' to='`+to+`'>`+k.payload+`</message>`)
		st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "message" && s.ID == k.id })
		if err != nil || st.Type != "error" || !strings.Contains(st.XML, "<"+k.cond) || !strings.Contains(st.XML, "nothing was sent") || !strings.Contains(st.XML, k.says) {
			t.Fatalf("%s: want a %s error saying %q and that nothing was sent, got %v %s", k.id, k.cond, k.says, err, st.XML)
		}
	}
	for i, p := range silentCases {
		raw(t, c, `<message type='`+typ+`' id='silent-`+string(rune('a'+i))+`' to='`+to+`'>`+p+`</message>`)
	}
	words()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && (strings.HasPrefix(s.ID, "silent-") && s.Type == "error" || done(s))
	})
	if err != nil || st.Type == "error" {
		t.Fatalf("a chat state, receipt or mark alone was answered: %v %s", err, st.XML)
	}
}

// TestEmptyMessageRefused: to a contact, a blank message or one with
// only an element the gateway does not bridge is refused with an error
// that says nothing was sent; a chat state or receipt alone is not
// answered. Before, each was dropped without a word, the client
// showing it sent.
func TestEmptyMessageRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	checkEmptyRefused(t, alice, bob, "chat", func() { sendChat(t, alice, bob, "after") },
		func(st xmpptest.Stanza) bool { return bareJID(st.From) == bob && st.Body == "after" })
}

// TestRoomEmptyMessageRefused: the same in a room (groupchat messages
// to the room's JID): refused with the error, not reflected; a chat
// state alone is not answered.
func TestRoomEmptyMessageRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	checkEmptyRefused(t, alice, room, "groupchat", func() { groupchat(t, alice, "after") },
		func(st xmpptest.Stanza) bool { return bareJID(st.From) == room && st.Body == "after" })
}
