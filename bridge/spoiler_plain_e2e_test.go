package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestSpoilerToPlainNetwork: a spoiler (XEP-0382) to a network that
// takes no formatting (as IRC; the echo's +plain login) is refused
// feature-not-implemented, saying the text would show and how to send
// it visible: nothing reaches the network. Before, it went as plain
// text, the hidden words shown to the contact. The same words unmarked
// go.
//
// The login says CONNECTED, with its features, late (LateStateMark):
// the spoiler sent at once after registering waits for them. Before, it
// was checked against the transport's features (with formatting) and
// reached the network; the whole package under load met it.
func TestSpoilerToPlainNetwork(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice"+echo.PlainMark+echo.LateStateMark); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	answer := func(what, body string) xmpptest.Stanza {
		t.Helper()
		return next(t, alice, what, func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body == body })
	}
	raw(t, alice, `<message type='chat' id='s1' to='bob@`+domain+`'><body>the butler did it</body><spoiler xmlns='urn:xmpp:spoiler:0'>ending</spoiler></message>`)
	e := answer("the spoiler's answer", "the butler did it")
	if e.Type != "error" || e.ID != "s1" || !strings.Contains(e.XML, "feature-not-implemented") || !strings.Contains(e.XML, "cannot hide a spoiler") {
		t.Fatalf("spoiler to a network without formatting: want refused, got %s", e.XML)
	}
	raw(t, alice, `<message type='chat' id='s2' to='bob@`+domain+`'><body>the butler did it</body></message>`)
	if e := answer("the unmarked words' echo", "the butler did it"); e.Type == "error" {
		t.Fatalf("unmarked: %s", e.XML)
	}
}

// TestSpoilerPoll: a poll marked as a spoiler ("/poll" with <spoiler/>)
// is refused feature-not-implemented on a network that takes formatting
// too (the echo's): a poll carries no spans and no network hides one, so
// it went as a plain poll, its question shown to everyone. Unmarked, it
// starts.
func TestSpoilerPoll(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	raw(t, alice, `<message type='chat' id='sp1' to='bob@`+domain+`'><body>/poll Who did it? The butler / The gardener</body><spoiler xmlns='urn:xmpp:spoiler:0'/></message>`)
	e := next(t, alice, "the spoiler poll's answer", func(s xmpptest.Stanza) bool { return s.Type == "error" || strings.Contains(s.Body, "Who did it?") })
	if e.Type != "error" || e.ID != "sp1" || !strings.Contains(e.XML, "feature-not-implemented") || !strings.Contains(e.XML, "cannot hide a poll") {
		t.Fatalf("poll marked as a spoiler: want refused, got %s", e.XML)
	}
	raw(t, alice, `<message type='chat' id='sp2' to='bob@`+domain+`'><body>/poll Who did it? The butler / The gardener</body></message>`)
	if e := next(t, alice, "the unmarked poll", func(s xmpptest.Stanza) bool { return s.Type == "error" || strings.Contains(s.Body, "Who did it?") }); e.Type == "error" {
		t.Fatalf("unmarked poll: %s", e.XML)
	}
}
