package bridge_test

import (
	"strings"
	"testing"
)

// TestReactionDuplicatesOnce: a reaction that names an emoji twice
// (XEP-0444 asks for each once) reaches the network with it once, the
// order kept; the echo contact answers with what it got.
func TestReactionDuplicatesOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "d1", "react twice")
	raw(t, alice, `<message type='chat' id='dr' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+e+`'><reaction>👍</reaction><reaction>❤️</reaction><reaction>👍</reaction></reactions></message>`)
	r := next(t, alice, "reaction", has("urn:xmpp:reactions:0"))
	if n := strings.Count(r.XML, "<reaction>👍</reaction>"); n != 1 || !strings.Contains(r.XML, "<reaction>👍</reaction><reaction>❤️</reaction>") {
		t.Fatalf("the network got 👍 %d times, want once, before ❤️: %s", n, r.XML)
	}
}
