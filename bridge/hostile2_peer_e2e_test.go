package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// Probes of what a hostile or broken XMPP peer sends the gateway through
// the real server: each is answered (an error, or what it asks for), the
// link stays up, the plugin is not restarted, and the transport goes on.

// answered waits for the answer to the stanza of this id: an error with
// the id, or a message whose body is body.
func answered(t *testing.T, c *xmpptest.Client, what, id, body string) xmpptest.Stanza {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.ID == id && s.Type == "error" || body != "" && s.Name == "message" && s.Body == body
	})
	if err != nil {
		t.Fatalf("%s: no answer: %v", what, err)
	}
	return st
}

// stillWell fails t when the link went down or the plugin was restarted,
// then checks the transport echoes.
func stillWell(t *testing.T, s *stack, c *xmpptest.Client, what string) {
	t.Helper()
	echoAfter(t, c, "after "+what)
	if n := s.logs.Count("component link down"); n != 0 {
		t.Fatalf("%s: the component link went down %d times", what, n)
	}
	if n := s.logs.Count("restarting"); n != 0 {
		t.Fatalf("%s: the plugin was restarted %d times", what, n)
	}
}

// TestDeepNesting: a message, an IQ and a presence nested thousands of
// elements deep (36000: about what the server's stanza limit lets a
// client send), are answered
// and leave the transport working.
func TestDeepNesting(t *testing.T) {
	// Prosody parses a 36000-deep stanza for seconds on a loaded machine,
	// answering no ping meanwhile: the default ping timeout, not the
	// stack's 2 s (the link went down once, and the IQ with it).
	s := newStack(t, stackOptions{pingTimeout: "10s"})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	for _, depth := range []int{1000, 36000} {
		nest := strings.Repeat("<a>", depth) + "x" + strings.Repeat("</a>", depth)
		ext := `<x xmlns='urn:example:deep'>` + nest + `</x>`
		id := fmt.Sprintf("deep%d", depth)
		body := fmt.Sprintf("deep body %d", depth)
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body>`+ext+`</message>`)
		answered(t, alice, "message "+id, id, body)
		st, err := alice.IQ(ctxT(t), `<iq type='get' id='`+id+`q' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'>`+nest+`</query></iq>`)
		if err != nil || st.Type != "result" && st.Type != "error" {
			t.Fatalf("iq %d deep: %v %.200s", depth, err, st.XML)
		}
		st, err = alice.IQ(ctxT(t), `<iq type='set' id='`+id+`s' to='`+bob+`'>`+ext+`</iq>`)
		if err != nil || st.Type != "error" {
			t.Fatalf("iq set %d deep to a contact: %v %.200s", depth, err, st.XML)
		}
		raw(t, alice, `<presence to='`+bob+`'>`+ext+`</presence>`)
		stillWell(t, s, alice, id)
	}
}

// TestOddContactAddresses: messages to contact addresses of odd Unicode
// (decomposed, fullwidth, zero-width, bidi overrides, tag characters,
// private use, noncharacters, XEP-0106 escapes of what a JID cannot
// hold, a localpart of the largest size) are each answered: echoed by the
// network, or refused with an error.
func TestOddContactAddresses(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for i, local := range []string{
		"e\u0301", "\u00e9", "ｂｏｂ", "bo\u200bb", "\u202ebob", "\U0001F600", "\U000E0041b", "\ue000",
		"\ufdd0", "\u0301a", `a\20b`, `\5c`, `\3cscript\3e`, `\26amp;`, `\2f..\2f`, `\40\40`, "bob%00",
		strings.Repeat("x", 1023), strings.Repeat("é", 511), "ǅ", "İ", "ß", "\u00a0", "a\u2028b",
	} {
		id := fmt.Sprintf("odd%d", i)
		body := fmt.Sprintf("to odd address %d", i)
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+xmlEscape(local)+`@`+domain+`/\u202eres'><body>`+body+`</body></message>`)
		answered(t, alice, fmt.Sprintf("message to %q", local), id, body)
		st, err := alice.IQ(ctxT(t), `<iq type='get' id='`+id+`v' to='`+xmlEscape(local)+`@`+domain+`'><vCard xmlns='vcard-temp'/></iq>`)
		if err != nil || st.Type != "result" && st.Type != "error" {
			t.Fatalf("vCard of %q: %v %.200s", local, err, st.XML)
		}
	}
	stillWell(t, s, alice, "odd addresses")
	if n := s.logs.Count("store failure; retrying"); n != 0 {
		t.Errorf("the store was retried %d times", n)
	}
}
