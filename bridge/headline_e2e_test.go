package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestHeadlineToContact: a headline (RFC 6121 §5.2.2: no reply expected,
// not stored offline) the user sends a contact carries words the user
// (or a bot on the user's account) wrote for that contact; the network
// has no such kind, so it goes as an ordinary message rather than being
// lost, its subject the first line (bold: the echo network takes
// formatting, and its echo comes back styled). Before, the subject was
// dropped. A bodyless headline (a PEP notification the user's server
// sends contacts) sends nothing and is answered with no error.
func TestHeadlineToContact(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	answer := func(what, body string) xmpptest.Stanza {
		t.Helper()
		return next(t, alice, what, func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body == body })
	}
	raw(t, alice, `<message type='headline' id='h1' to='bob@`+domain+`'><subject>Build</subject><body>build 42 passed</body></message>`)
	if e := answer("the headline's echo", "*Build*\nbuild 42 passed"); e.Type == "error" {
		t.Fatalf("headline refused: %s", e.XML)
	}
	raw(t, alice, `<message type='headline' id='h2' to='bob@`+domain+`'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:avatar:metadata'/></event></message>`)
	raw(t, alice, `<message type='chat' id='c1' to='bob@`+domain+`'><body>after</body></message>`)
	if e := answer("the echo after a bodyless headline", "after"); e.Type == "error" {
		t.Fatalf("an error after a bodyless headline: %s", e.XML)
	}
}

// TestSubjectToContact: a message's subject (RFC 6121 §5.2.4; Gajim's
// single-message window sends one, type normal) reaches a contact as the
// first line of the text, bold on a network with formatting, plain on
// one without (the echo's +plain login); a subject with no body goes
// alone. Before, the subject was dropped, and a subject alone sent
// nothing, unanswered. A chat command's subject is dropped, and in the
// gateway's own chat the subject is no part of an answer.
func TestSubjectToContact(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	answer := func(c *xmpptest.Client, what, body string) {
		t.Helper()
		if e := next(t, c, what, func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body == body }); e.Type == "error" {
			t.Fatalf("%s: %s", what, e.XML)
		}
	}
	raw(t, alice, `<message type='normal' id='n1' to='bob@`+domain+`'><subject>Lunch</subject><body>at noon?</body></message>`)
	answer(alice, "a subject and body's echo", "*Lunch*\nat noon?")
	raw(t, alice, `<message id='n2' to='bob@`+domain+`'><subject>Deploy done</subject></message>`)
	answer(alice, "a subject alone's echo", "*Deploy done*")
	// A chat command with a subject is a command, the subject no part of
	// it: before, the subject's line made it words for the contact.
	raw(t, alice, `<message type='normal' id='c1' to='bob@`+domain+`'><subject>Lunch</subject><body>/poll Lunch? Pizza</body></message>`)
	if e := next(t, alice, "a command with a subject", func(s xmpptest.Stanza) bool { return s.Type == "error" || strings.Contains(s.Body, "Pizza") }); e.ID != "c1" || e.Err == nil || !strings.Contains(e.Err.Text, "2 to 12") {
		t.Fatalf("want the poll of one option refused, got %s", e.XML)
	}

	// Carol logs in through the gateway's chat, her answer with a
	// subject: the subject is no part of the answer there.
	carol := s.user("carol")
	s.waitGateway(carol)
	sendChat(t, carol, domain, "login")
	if m := nextMessage(t, carol, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("login: %s", m.XML)
	}
	raw(t, carol, `<message type='normal' to='`+domain+`'><subject>Re: login</subject><body>carol`+echo.PlainMark+`</body></message>`)
	if m := nextMessage(t, carol, domain, timeout); !strings.Contains(m.Body, "You are logged in to Echo as carol"+echo.PlainMark+".") {
		t.Fatalf("the username with a subject: %s", m.XML)
	}
	raw(t, carol, `<message type='normal' id='p1' to='bob@`+domain+`'><subject>Lunch</subject><body>at noon?</body></message>`)
	answer(carol, "a subject to a plain network", "Lunch\nat noon?")
}
