package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestTypingEndsBySilence: a contact who starts typing on a network whose
// typing ends by silence (timeout_ms), and stops without a word, is shown
// paused once that time passed: before, the client showed them typing
// until their next message.
func TestTypingEndsBySilence(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	raw(t, alice, `<message type='chat' id='t1' to='bob@`+domain+`'><body>typing-silent 400</body></message>`)
	next(t, alice, "composing", has("<composing"))
	p := next(t, alice, "paused", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "<paused") || s.Body != "" })
	if !strings.Contains(p.XML, `<paused xmlns="http://jabber.org/protocol/chatstates"`) {
		t.Fatalf("want the contact shown paused: %s", p.XML)
	}
}

// TestMessageEndsComposing: a contact's message after their composing,
// which the network ends by the message alone, carries XEP-0085's
// <active/>: Gajim keeps a contact's chat state until another comes, and
// showed them typing after their message, until they typed again.
func TestMessageEndsComposing(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	raw(t, alice, `<message type='chat' id='t1' to='bob@`+domain+`'><body>typing-silent 600000</body></message>`)
	next(t, alice, "composing", has("<composing"))
	raw(t, alice, `<message type='chat' id='t2' to='bob@`+domain+`'><body>hello</body></message>`)
	e := next(t, alice, "echo", func(s xmpptest.Stanza) bool { return s.Body == "hello" || strings.Contains(s.XML, "<paused") })
	if !strings.Contains(e.XML, `<active xmlns="http://jabber.org/protocol/chatstates"/>`) {
		t.Fatalf("the contact's message after their composing, without <active/>: %s", e.XML)
	}
}
