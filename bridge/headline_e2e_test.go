package bridge_test

import (
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestHeadlineToContact: a headline (RFC 6121 §5.2.2: no reply expected,
// not stored offline) the user sends a contact carries words the user
// (or a bot on the user's account) wrote for that contact; the network
// has no such kind, so it goes as an ordinary message rather than being
// lost. A bodyless headline (a PEP notification the user's server sends
// contacts) sends nothing and is answered with no error.
func TestHeadlineToContact(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	answer := func(what, body string) xmpptest.Stanza {
		t.Helper()
		return next(t, alice, what, func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body == body })
	}
	raw(t, alice, `<message type='headline' id='h1' to='bob@`+domain+`'><subject>Build</subject><body>build 42 passed</body></message>`)
	if e := answer("the headline's echo", "build 42 passed"); e.Type == "error" {
		t.Fatalf("headline refused: %s", e.XML)
	}
	raw(t, alice, `<message type='headline' id='h2' to='bob@`+domain+`'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:avatar:metadata'/></event></message>`)
	raw(t, alice, `<message type='chat' id='c1' to='bob@`+domain+`'><body>after</body></message>`)
	if e := answer("the echo after a bodyless headline", "after"); e.Type == "error" {
		t.Fatalf("an error after a bodyless headline: %s", e.XML)
	}
}
