package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestCaptionEditOfFileAlone: alice sends bob, the echo contact, a file
// with no text, then corrects it with a caption; the echo's copy came
// as the file alone, and the echo's edit adds the caption to it. The
// caption comes as a message replying to the file, never as a
// correction of it (the photo replaced by the text in the chat); a
// second edit corrects that caption message, and so does a third after
// a restart of the gateway (the caption message is kept in the message
// map), and a reaction to the caption is one to the file's message; the
// retraction retracts both the file and the caption.
func TestCaptionEditOfFileAlone(t *testing.T) {
	s, _ := fetchingStack(t)
	alice := registered(t, s, "alice")
	url := noteURL(t)
	raw(t, alice, `<message type='chat' id='p1' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='p1'/></message>`)
	file := next(t, alice, "the file's echo", has("jabber:x:oob"))

	correct := func(id, replace, text string) xmpptest.Stanza {
		t.Helper()
		raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+text+`</body><replace xmlns='urn:xmpp:message-correct:0' id='`+replace+`'/><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
		return next(t, alice, "the echo of the caption", func(s xmpptest.Stanza) bool { return s.Body == text || s.Type == "error" })
	}
	c1 := correct("p2", "p1", "a caption")
	if c1.Type == "error" || strings.Contains(c1.XML, "urn:xmpp:message-correct:0") {
		t.Fatalf("the caption corrects the file, which the client then shows as the text alone: %s", c1.XML)
	}
	if !strings.Contains(c1.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(c1.XML, `id="`+file.ID+`"`) {
		t.Fatalf("want the caption as a reply to the file %s: %s", file.ID, c1.XML)
	}
	c2 := correct("p3", "p1", "a better caption")
	if !strings.Contains(c2.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+c1.ID+`"`) {
		t.Fatalf("want the second edit to correct the caption message %s: %s", c1.ID, c2.XML)
	}
	s.stop()
	s.start()
	s.waitGateway(alice)
	c3 := correct("p5", "p1", "the caption after a restart")
	if !strings.Contains(c3.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+c1.ID+`"`) {
		t.Fatalf("after a restart, want the edit to correct the caption message %s, not send another: %s", c1.ID, c3.XML)
	}
	// A reaction to the caption message is one to the file's message,
	// which the caption is part of on the network (the echo answers one
	// to its copy with one on the user's original, p1).
	raw(t, alice, `<message type='chat' id='p6' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+c1.ID+`'><reaction>👍</reaction></reactions></message>`)
	r := next(t, alice, "the echo's reaction", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:reactions:0")
	})
	if !strings.Contains(r.XML, `<reactions xmlns="urn:xmpp:reactions:0" id="p1"`) {
		t.Fatalf("want the reaction to the caption message on the file's message: %s", r.XML)
	}
	// So is one naming the caption's correction, as Conversations names
	// a corrected message.
	raw(t, alice, `<message type='chat' id='p7' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+c3.ID+`'><reaction>❤️</reaction></reactions></message>`)
	r = next(t, alice, "the echo's reaction", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || strings.Contains(s.XML, "urn:xmpp:reactions:0")
	})
	if !strings.Contains(r.XML, `<reactions xmlns="urn:xmpp:reactions:0" id="p1"`) {
		t.Fatalf("want the reaction naming the caption's correction on the file's message: %s", r.XML)
	}
	raw(t, alice, `<message type='chat' id='p4' to='bob@`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='p1'/><body>retracted</body></message>`)
	retracted := map[string]bool{}
	for len(retracted) < 2 {
		r := next(t, alice, "the retractions of the file and its caption", has("urn:xmpp:message-retract:1"))
		for _, id := range []string{file.ID, c1.ID} {
			if strings.Contains(r.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`) {
				retracted[id] = true
			}
		}
	}
}
