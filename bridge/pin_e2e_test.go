package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestPin: "/pin" in a reply to a message pins it on the network, whose
// notice answers it as a reply to the message ("/unpin" the same); a
// contact's pin comes as their notice replying to the message pinned. A
// "/pin" replying to nothing, or to a message the gateway does not know,
// is answered with an error saying why; none goes to the contact as a
// message.
func TestPin(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	e := echoID(t, alice, "p1", "pin me")
	reply := func(body, to string) string {
		t.Helper()
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='`+to+`'/></message>`)
		return id
	}
	notice := func(text, target string) {
		t.Helper()
		n := next(t, alice, "the pin's notice", has(text))
		if !strings.Contains(n.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(n.XML, `id="`+target+`"`) {
			t.Errorf("the notice %q does not reply to %s: %s", text, target, n.XML)
		}
	}
	refused := func(id, cond, text string) {
		t.Helper()
		st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if st.ID != id || st.Err == nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Errorf("want %s saying %q for %s, got %s", cond, text, id, st.XML)
		}
	}

	reply("/pin", e)
	notice("Pinned a message", e)
	reply("/unpin", e)
	notice("Unpinned a message", e)
	id := alice.NewID()
	raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>/pin</body></message>`)
	refused(id, "bad-request", "reply to the message")
	refused(reply("/pin", "no-such-message"), "item-not-found", "not known")

	theirs := echoID(t, alice, "p2", "pin-this lunch at 1")
	notice("📌 Pinned a message", theirs)

	echoID(t, alice, "p3", "/pin me is a message")
	for _, st := range alice.Pending() {
		if bareJID(st.From) == bob && (st.Body == "/pin" || st.Body == "/unpin") {
			t.Errorf("a pin went to the contact as a message: %s", st.XML)
		}
	}
}
