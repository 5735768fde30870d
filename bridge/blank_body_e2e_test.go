package bridge_test

import "testing"

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
