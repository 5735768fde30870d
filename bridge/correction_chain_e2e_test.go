package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestCorrectionChain: XEP-0308 has a correction name the original
// message's id; older clients (Conversations before 2.6.1, converse.js,
// Profanity in rooms) name the previous correction's. Both reach the
// original, the second sent right behind the first. Before, a
// correction naming a correction was item-not-found.
func TestCorrectionChain(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "o1", "helo")
	correction := func(what string) xmpptest.Stanza {
		t.Helper()
		return next(t, alice, what, func(s xmpptest.Stanza) bool {
			return strings.Contains(s.XML, "urn:xmpp:message-correct:0") || s.Type == "error"
		})
	}
	raw(t, alice, `<message type='chat' id='fix1' to='bob@`+domain+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/><origin-id xmlns='urn:xmpp:sid:0' id='fix1'/></message>`)
	// Chained: names fix1, sent before fix1's echo; without origin-id.
	raw(t, alice, `<message type='chat' id='fix2' to='bob@`+domain+`'><body>hello!</body><replace xmlns='urn:xmpp:message-correct:0' id='fix1'/></message>`)
	// As XEP-0308 1.1 has it: the original's id, after a chained one.
	raw(t, alice, `<message type='chat' id='fix3' to='bob@`+domain+`'><body>hello!!</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/></message>`)
	// Chained again, on the correction without origin-id.
	raw(t, alice, `<message type='chat' id='fix4' to='bob@`+domain+`'><body>hello!!!</body><replace xmlns='urn:xmpp:message-correct:0' id='fix2'/></message>`)
	for _, want := range []string{"hello", "hello!", "hello!!", "hello!!!"} {
		c := correction("correction " + want)
		if c.Type == "error" || c.Body != want || !strings.Contains(c.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+e+`"/>`) {
			t.Fatalf("correction %q of the echo: %s", want, c.XML)
		}
	}
}

// TestRoomCorrectionChain: in a room too, a correction naming the
// previous correction reaches the message on the network (the room
// reflects it as the client sent it). Before, it was item-not-found.
func TestRoomCorrectionChain(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	id := groupchat(t, alice, "see you")
	roomMessage(t, alice, self, "see you")
	for i, replace := range []string{id, "fix1-" + id} {
		fix := []string{"fix1-", "fix2-"}[i] + id
		body := []string{"see you!", "see you!!"}[i]
		if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='`+fix+`' to='`+room+`'><body>`+body+`</body><replace xmlns='urn:xmpp:message-correct:0' id='`+replace+`'/></message>`); err != nil {
			t.Fatal(err)
		}
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && (s.Type == "error" || s.From == room+"/"+self && s.Body == body)
		})
		if err != nil || st.Type == "error" {
			t.Fatalf("correction %d, naming %s: %v %s", i+1, replace, err, st.XML)
		}
		// The network edited the message: Echo One repeats the edit.
		if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == room+"/Echo One" && s.Body == body && strings.Contains(s.XML, "urn:xmpp:message-correct:0")
		}); err != nil {
			t.Fatalf("correction %d, naming %s: the network's edit not repeated: %v", i+1, replace, err)
		}
	}
}

// TestCorrectionOfOthersForbidden: a correction naming the contact's
// message is refused forbidden, nothing sent to the network (XEP-0308:
// only its sender corrects a message). Before, it went to the plugin,
// which either refused it in its own words or, on a network whose
// servers cannot read the words, sent a correction the contact's app
// ignored.
func TestCorrectionOfOthersForbidden(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "o1", "hello")
	raw(t, alice, `<message type='chat' id='fix1' to='bob@`+domain+`'><body>hi</body><replace xmlns='urn:xmpp:message-correct:0' id='`+e+`'/><origin-id xmlns='urn:xmpp:sid:0' id='fix1'/></message>`)
	st := next(t, alice, "the answer to the correction", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:message-correct:0")
	})
	if st.Type != "error" || st.ID != "fix1" || !strings.Contains(st.XML, "<forbidden ") {
		t.Fatalf("a correction of the contact's message: want forbidden, got %s", st.XML)
	}
}
