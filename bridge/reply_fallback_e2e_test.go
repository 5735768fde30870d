package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestReplyToUnknownMessageKeepsQuote: a reply (XEP-0461) to a message
// the gateway does not know (from before the user registered, or
// pruned from the message map) cannot go as the network's reply: it
// goes with the quote the client wrote for readers without replies
// (XEP-0428 fallback), not stripped of it, which left the contact an
// answer to nothing.
func TestReplyToUnknownMessageKeepsQuote(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>&gt; lunch at noon?
sure</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='long-gone'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='17'/></fallback><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	e := next(t, alice, "the reply's echo", func(s xmpptest.Stanza) bool { return s.Body != "" || s.Type == "error" })
	if e.Body != "> lunch at noon?\nsure" {
		t.Fatalf("want the reply echoed with its quote, got %s", e.XML)
	}
	if strings.Contains(e.XML, "urn:xmpp:reply:0") {
		t.Fatalf("the network took no reply, yet the echo is one: %s", e.XML)
	}

	// A reply to a message the gateway knows goes as the network's
	// reply, its quote left to the reply (the echo quotes it again).
	id := echoID(t, alice, "m1", "lunch at noon?")
	raw(t, alice, `<message type='chat' id='q2' to='bob@`+domain+`'><body>&gt; lunch at noon?
sure</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+id+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='17'/></fallback><origin-id xmlns='urn:xmpp:sid:0' id='q2'/></message>`)
	r := next(t, alice, "the reply's echo", has("urn:xmpp:reply:0"))
	if r.Body != "> sure\nsure" {
		t.Fatalf("a reply the network took: want its text without the client's quote, got %s", r.XML)
	}
}
