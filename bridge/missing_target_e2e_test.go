package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestActionWithoutTargetRefused: a correction, retraction or reaction
// without the id of the message it names is refused with bad-request.
// The retraction was dropped without a word, the correction went out as
// a new message (the text twice in the contact's chat), and the
// reaction read as one to an unknown message.
func TestActionWithoutTargetRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoID(t, alice, "m1", "hello")
	for _, c := range []struct{ id, what, stanza string }{
		{"c1", "replace", `<body>hello!</body><replace xmlns='urn:xmpp:message-correct:0'/>`},
		{"x1", "retract", `<retract xmlns='urn:xmpp:message-retract:1'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/><body>retracted</body>`},
		{"x2", "retract", `<retract xmlns='urn:xmpp:message-retract:1' id=''/>`},
		{"r1", "reactions", `<reactions xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction></reactions>`},
	} {
		raw(t, alice, `<message type='chat' id='`+c.id+`' to='bob@`+domain+`'>`+c.stanza+`</message>`)
		e := next(t, alice, "an answer to "+c.id, func(s xmpptest.Stanza) bool { return s.Type == "error" || s.Body != "" })
		if e.Type != "error" || e.ID != c.id || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, c.what) {
			t.Fatalf("%s without an id: want bad-request naming <%s/>, got %s", c.id, c.what, e.XML)
		}
	}
	echoID(t, alice, "m2", "still here")
}
