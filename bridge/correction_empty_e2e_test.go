package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestEmptyCorrectionRefused: a correction (XEP-0308) whose body is
// empty or blank would replace the message's words with nothing, which
// the networks refuse or show as an empty message. The user is told to
// retract it instead (XEP-0424), and the network hears nothing; a real
// correction after it goes as usual.
func TestEmptyCorrectionRefused(t *testing.T) {
	correctionRefused(t, `<body> </body>`, "retract", "a bad-request saying to retract instead")
}

// TestCorrectionWithoutBodyRefused: a correction (XEP-0308) with no
// <body/> at all was dropped in silence: the user's client showed the
// message corrected, the network never heard of it, nobody said so. It
// is answered bad-request, saying a correction needs a body; the message
// keeps its words and a real correction after it goes as usual.
func TestCorrectionWithoutBodyRefused(t *testing.T) {
	correctionRefused(t, ``, "a correction needs a body", "a bad-request saying a correction needs a body")
}

// correctionRefused sends a correction of an echoed message with body
// (the <body/> element, or none) and wants a bad-request whose text has
// wantText; a real correction after it goes as usual.
func correctionRefused(t *testing.T, body, wantText, want string) {
	t.Helper()
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoID(t, alice, "m1", "see you at 5")
	raw(t, alice, `<message type='chat' id='c1' to='bob@`+domain+`'>`+body+`<replace xmlns='urn:xmpp:message-correct:0' id='m1'/><origin-id xmlns='urn:xmpp:sid:0' id='c1'/></message>`)
	corr := func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:message-correct:0")
	}
	e := next(t, alice, "an answer to the refused correction", corr)
	if e.Type != "error" || e.Err == nil || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, wantText) {
		t.Fatalf("want %s, got %s", want, e.XML)
	}
	raw(t, alice, `<message type='chat' id='c2' to='bob@`+domain+`'><body>see you at 6</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/><origin-id xmlns='urn:xmpp:sid:0' id='c2'/></message>`)
	c := next(t, alice, "the correction's echo", corr)
	if c.Type == "error" || c.Body != "see you at 6" {
		t.Fatalf("want the correction echoed, got %s", c.XML)
	}
}
