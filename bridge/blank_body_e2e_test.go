package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestBlankBodyNotSent: a message whose body is empty or white space
// only (a client's chat state or receipt request beside a <body/>) is
// no text for the network: its chat state goes as one, and nothing is
// sent as a message. Before, the network got an empty message and the
// chat state was dropped.
func TestBlankBodyNotSent(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	raw(t, alice, `<message type='chat' to='`+bob+`'><body/><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	next(t, alice, "composing", has(`<composing xmlns="http://jabber.org/protocol/chatstates"/>`))
	raw(t, alice, `<message type='chat' id='blank' to='`+bob+`'><body> 
	 </body><active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/></message>`)
	// The first text bob sends back is this one's echo: no blank came
	// before it.
	echoOK(t, alice, "after", timeout)
}

// TestRoomBlankBodyNotSent: in a room too, a blank body beside a chat
// state is no message: neither the network nor the room gets one (it
// went to the group as an empty message, reflected as one).
func TestRoomBlankBodyNotSent(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='blank' to='`+room+`'><body> </body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`); err != nil {
		t.Fatal(err)
	}
	groupchat(t, alice, "after")
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && bareJID(s.From) == room && strings.Contains(s.XML, "<body")
	})
	if err != nil || st.Body != "after" {
		t.Fatalf("the room's first message after a blank one: %v %s, want the next words", err, st.XML)
	}
}
