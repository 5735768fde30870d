package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestActionsNameCorrection: Conversations takes a correction's id as
// the message's from then on (the contact's correction, and the user's
// own): its reactions, replies and displayed markers name it, not the
// original's. Both reach the message on the network. Before, a reaction
// naming the contact's or the user's correction was item-not-found, a
// reply to one went as a new message with its quote, and a displayed
// marker naming one was dropped: the network never heard the chat read.
func TestActionsNameCorrection(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "o1", "helo")
	raw(t, alice, `<message type='chat' id='fix1' to='bob@`+domain+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/><origin-id xmlns='urn:xmpp:sid:0' id='fix1'/></message>`)
	c := next(t, alice, "the contact's correction", has("urn:xmpp:message-correct:0"))
	if !strings.Contains(c.XML, `id="`+e+`"`) || c.ID == "" || c.ID == e {
		t.Fatalf("correction of the echo: %s", c.XML)
	}
	reaction := func(what string) xmpptest.Stanza {
		t.Helper()
		return next(t, alice, what, func(s xmpptest.Stanza) bool {
			return strings.Contains(s.XML, "urn:xmpp:reactions:0") || s.Type == "error"
		})
	}
	// On the contact's corrected message, by its correction's id: the
	// echo answers on the user's message.
	raw(t, alice, `<message type='chat' id='r1' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+c.ID+`'><reaction>👍</reaction></reactions></message>`)
	if r := reaction("reaction on the contact's correction"); r.Type == "error" || !strings.Contains(r.XML, `id="o1"`) {
		t.Fatalf("reaction naming the contact's correction: %s", r.XML)
	}
	// On the user's own corrected message, by its correction's id.
	raw(t, alice, `<message type='chat' id='r2' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='fix1'><reaction>❤️</reaction></reactions></message>`)
	if r := reaction("reaction on the user's correction"); r.Type == "error" || !strings.Contains(r.XML, `id="o1"`) {
		t.Fatalf("reaction naming the user's correction: %s", r.XML)
	}
	// A reply to the contact's corrected message is the network's reply
	// (the echo answers it as a reply to the user's reply).
	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>&gt; hello
sure</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+c.ID+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='8'/></fallback><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	q := next(t, alice, "reply", func(s xmpptest.Stanza) bool { return s.Type == "error" || strings.Contains(s.Body, "sure") })
	if !strings.Contains(q.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(q.XML, `id="q1"`) || q.Body != "> sure\nsure" {
		t.Fatalf("reply naming the contact's correction: %s", q.XML)
	}
}
