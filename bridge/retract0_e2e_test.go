package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// A retraction in XEP-0424's older form (0.3: <retract/> of version 0
// inside XEP-0422's <apply-to/>, as Cheogram and older Conversations
// send it) retracts the message on the network, as the current form
// does; its fallback body never reaches the contact as the user's
// words. The contact's retraction comes back in both forms, the older
// naming the message's origin-id: a client that reads only the older
// form kept showing the retracted message, with the fallback under it.
// A fastening of another kind is no retraction.
func TestRetractOldForm(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "o1", "oops")
	raw(t, alice, `<message type='chat' id='x1' to='bob@`+domain+`'><apply-to xmlns='urn:xmpp:fasten:0' id='o1'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to><fallback xmlns='urn:xmpp:fallback:0'/><body>This person attempted to retract a previous message, but it's unsupported by your client.</body></message>`)
	x := next(t, alice, "retraction", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "urn:xmpp:message-retract:1") || strings.Contains(s.Body, "attempted to retract")
	})
	if !strings.Contains(x.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+e+`"/>`) {
		t.Fatalf("want the echo retracted, got %s", x.XML)
	}
	if !strings.Contains(x.XML, `<apply-to xmlns="urn:xmpp:fasten:0" id="`+e+`"><retract xmlns="urn:xmpp:message-retract:0"></retract></apply-to>`) &&
		!strings.Contains(x.XML, `<apply-to xmlns="urn:xmpp:fasten:0" id="`+e+`"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>`) {
		t.Fatalf("want the echo retracted in the older form too, got %s", x.XML)
	}
	// Without the id of the message: refused, not sent as words.
	raw(t, alice, `<message type='chat' id='x2' to='bob@`+domain+`'><apply-to xmlns='urn:xmpp:fasten:0'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to><body>This person attempted to retract a previous message, but it's unsupported by your client.</body></message>`)
	if x := next(t, alice, "error", func(s xmpptest.Stanza) bool { return s.Type == "error" || strings.Contains(s.Body, "attempted") }); x.ID != "x2" || x.Err == nil || x.Err.Condition != "bad-request" {
		t.Fatalf("retraction without an id: %s", x.XML)
	}
}
