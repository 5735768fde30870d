package bridge_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// noteURL serves a small text file, for the user to send, and returns its
// address.
func noteURL(t *testing.T) string {
	t.Helper()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("a note\n"))
	}))
	t.Cleanup(src.Close)
	return src.URL + "/note.txt"
}

// captionedFileEcho has alice send bob, the echo contact, a file with
// the caption text (message id), and returns the echo's two messages:
// the caption, then the file under an id of its own.
func captionedFileEcho(t *testing.T, id, caption string) (alice *xmpptest.Client, text, file xmpptest.Stanza) {
	t.Helper()
	s, _ := fetchingStack(t)
	alice = registered(t, s, "alice")
	url := noteURL(t)
	raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+caption+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
	text = next(t, alice, "the caption's echo", func(s xmpptest.Stanza) bool { return s.Body == caption })
	file = next(t, alice, "the file's echo", has("jabber:x:oob"))
	return alice, text, file
}

// TestReactAndReplyToCaptionedFile: a network message with text and a
// file reaches the user as two messages (the text, then the file under
// an id of its own); a reaction (XEP-0444) or a reply (XEP-0461) to the
// file is one to the network's message, as a client shows it, not an
// item-not-found.
func TestReactAndReplyToCaptionedFile(t *testing.T) {
	alice, text, file := captionedFileEcho(t, "f1", "look at this")
	if file.ID == "" || file.ID == text.ID {
		t.Fatalf("want the file under an id of its own: text %s, file %s", text.XML, file.XML)
	}

	raw(t, alice, `<message type='chat' id='r1' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+file.ID+`'><reaction>👍</reaction></reactions></message>`)
	r := next(t, alice, "the reaction's echo", func(s xmpptest.Stanza) bool {
		return strings.Contains(s.XML, "urn:xmpp:reactions:0") || s.Type == "error"
	})
	if r.Type == "error" || !strings.Contains(r.XML, `id="f1"`) || !strings.Contains(r.XML, "<reaction>👍</reaction>") {
		t.Fatalf("a reaction to the file: want it on the message, got %s", r.XML)
	}

	raw(t, alice, `<message type='chat' id='q1' to='bob@`+domain+`'><body>nice</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+file.ID+`'/><origin-id xmlns='urn:xmpp:sid:0' id='q1'/></message>`)
	q := next(t, alice, "the reply's echo", func(s xmpptest.Stanza) bool { return s.Body != "" && strings.HasSuffix(s.Body, "nice") })
	if !strings.Contains(q.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(q.XML, `id="q1"`) {
		t.Fatalf("a reply to the file: want the echo to reply to the user's reply, got %s", q.XML)
	}
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("unexpected error: %s", st.XML)
		}
	}
}

// TestRetractCaptionedFile: the network retracts a message that came
// with text and a file (here the echo of one, retracted with it). The
// file went as a stanza of its own, and is retracted too, as is a
// disappearing one at its deadline; only the text was, and the file
// stayed shown. Each part is markable: a chat that ended with a photo
// never got a read marker back to the network.
func TestRetractCaptionedFile(t *testing.T) {
	alice, text, file := captionedFileEcho(t, "f2", "see this")
	for _, st := range []xmpptest.Stanza{text, file} {
		if !strings.Contains(st.XML, "urn:xmpp:chat-markers:0") {
			t.Errorf("not markable: %s", st.XML)
		}
	}
	raw(t, alice, `<message type='chat' id='x2' to='bob@`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='f2'/><body>retracted</body></message>`)
	retracted := map[string]bool{}
	for len(retracted) < 2 {
		r := next(t, alice, "the retractions of the echo's parts", has("urn:xmpp:message-retract:1"))
		for _, id := range []string{text.ID, file.ID} {
			if strings.Contains(r.XML, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`) {
				retracted[id] = true
			}
		}
	}
}

// TestFileSubjectCaption: a file whose body is only its address, with a
// subject (RFC 6121 §5.2.4; Gajim's single-message window), goes with the
// subject as its caption. Before, the subject was put before the address,
// so the body was no longer the address alone and the address went to
// the contact in the caption.
func TestFileSubjectCaption(t *testing.T) {
	s, _ := fetchingStack(t)
	alice := registered(t, s, "alice")
	url := noteURL(t)
	raw(t, alice, `<message type='normal' id='fs1' to='bob@`+domain+`'><subject>Minutes</subject><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x></message>`)
	text := next(t, alice, "the caption's echo", func(s xmpptest.Stanza) bool {
		return s.Type == "error" || s.Body != "" && !strings.Contains(s.XML, "jabber:x:oob")
	})
	if text.Type == "error" || text.Body != "*Minutes*" {
		t.Fatalf("want the subject as the file's caption, got %s", text.XML)
	}
	next(t, alice, "the file's echo", has("jabber:x:oob"))
}
