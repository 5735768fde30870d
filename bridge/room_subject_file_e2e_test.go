package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomSubjectWithFile: a groupchat message with a subject and a file
// but no body is a file with a caption, not a topic change (XEP-0045
// §8.1 asks for a subject "and nothing else"): the group gets the file
// with the subject as its caption (Echo One repeats both), the room's
// subject stays, and the reflection carries a body (the file's address)
// so that the user's clients do not read it as a topic change. The file
// is an XEP-0066 OOB one, or a XEP-0385 SIMS one without OOB. Before,
// the subject became the group's topic and the file was dropped.
func TestRoomSubjectWithFile(t *testing.T) {
	s, _ := fetchingStack(t)
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", `<history maxstanzas='0'/>`)
	for _, c := range []struct{ name, id, file string }{
		{"OOB", "sf1", `<x xmlns='jabber:x:oob'><url>%s</url></x>`},
		{"SIMS", "sf2", `<reference xmlns='urn:xmpp:reference:0' type='data'><media-sharing xmlns='urn:xmpp:sims:1'>` +
			`<file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><media-type>text/plain</media-type><name>note.txt</name></file>` +
			`<sources><reference xmlns='urn:xmpp:reference:0' type='data' uri='%s'/></sources></media-sharing></reference>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := noteURL(t)
			raw(t, alice, `<message type='groupchat' id='`+c.id+`' to='`+room+`'><subject>Minutes</subject>`+
				strings.Replace(c.file, "%s", url, 1)+`<origin-id xmlns='urn:xmpp:sid:0' id='`+c.id+`'/></message>`)
			fromRoom := func(s xmpptest.Stanza) bool { return s.Name == "message" && bareJID(s.From) == room }
			refl, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
				return fromRoom(s) && (s.Type == "error" || s.ID == c.id || strings.Contains(s.XML, "<subject"))
			})
			if err != nil || refl.Type == "error" || refl.ID != c.id {
				t.Fatalf("want the file reflected, got %v %s", err, refl.XML)
			}
			if refl.Body != url || !strings.Contains(refl.XML, "<subject>Minutes</subject>") {
				t.Errorf("the reflection: want the file's address as its body beside the subject, got %s", refl.XML)
			}
			caption, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
				return fromRoom(s) && (s.Type == "error" || strings.Contains(s.XML, "<subject") || nick(s.From) == "Echo One" && s.Body != "")
			})
			if err != nil || caption.Type == "error" || strings.Contains(caption.XML, "<subject") || caption.Body != "*Minutes*" {
				t.Fatalf("want Echo One to repeat the caption %q, got %v %s", "*Minutes*", err, caption.XML)
			}
			file, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
				return fromRoom(s) && (s.Type == "error" || strings.Contains(s.XML, "<subject") || nick(s.From) == "Echo One" && strings.Contains(s.XML, "jabber:x:oob"))
			})
			if err != nil || file.Type == "error" || strings.Contains(file.XML, "<subject") {
				t.Fatalf("want Echo One to repeat the file, got %v %s", err, file.XML)
			}
		})
	}
	again := join(t, s.loginResource("alice", "phone"), "a", `<history maxstanzas='0'/>`)
	if !strings.Contains(again.subject.XML, "<subject>Echo room</subject>") {
		t.Fatalf("the room's subject changed: %s", again.subject.XML)
	}
}
