package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestCorrectionKeepsQuote: a reply that went with the client's quote
// (XEP-0428 fallback; its target unknown to the gateway, so no network
// reply) is corrected by a message that carries the same <reply/> and
// quote (XEP-0308: a correction is the whole new message): the edit
// keeps the quote, or the contact read the corrected answer answering
// nothing.
func TestCorrectionKeepsQuote(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	reply := `<reply xmlns='urn:xmpp:reply:0' to='bob@` + domain + `' id='long-gone'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='17'/></fallback>`
	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>&gt; lunch at noon?
sure</body>`+reply+`<origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	e := next(t, alice, "the reply's echo", func(s xmpptest.Stanza) bool { return s.Body != "" || s.Type == "error" })
	if e.Body != "> lunch at noon?\nsure" {
		t.Fatalf("want the reply echoed with its quote, got %s", e.XML)
	}
	raw(t, alice, `<message type='chat' id='q2' to='bob@`+domain+`'><body>&gt; lunch at noon?
sure, at 12:30</body>`+reply+`<replace xmlns='urn:xmpp:message-correct:0' id='q1'/><origin-id xmlns='urn:xmpp:sid:0' id='q2'/></message>`)
	c := next(t, alice, "the correction's echo", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:message-correct:0")
	})
	if c.Type == "error" || c.Body != "> lunch at noon?\nsure, at 12:30" {
		t.Fatalf("want the correction echoed with the quote the reply went with, got %s", c.XML)
	}
}
