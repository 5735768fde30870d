package bridge_test

import (
	"regexp"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestChatQueriesPrivate: "/timer" and "/pins" sent as a private message
// to a room's occupant (XEP-0045 §7.5, type chat to room/nick), which the
// gateway takes to the one-to-one chat with that contact, are answered in
// the conversation the user asked in: from room/nick, not from the
// room's bare JID (a chat message from a room itself, which clients show
// elsewhere or not at all). A pin's reply names its author, the contact,
// not the room.
func TestChatQueriesPrivate(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	one := "echo-1@" + domain
	pm := room + "/Echo One"
	join(t, alice, "a", "")

	// A message of the contact's, pinned by it.
	raw(t, alice, `<message type='chat' id='p1' to='`+one+`'><body>pin-this lunch at 1</body></message>`)
	for _, what := range []string{"lunch at 1", "Pinned a message"} {
		if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && bareJID(st.From) == one && strings.Contains(st.Body, what)
		}); err != nil {
			t.Fatalf("no %q from %s: %v", what, one, err)
		}
	}

	answer := func(body, text string) xmpptest.Stanza {
		t.Helper()
		raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+pm+`'><body>`+body+`</body></message>`)
		st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && strings.Contains(st.Body, text)
		})
		if err != nil {
			t.Fatalf("no answer %q to a private %s: %v; pending %v", text, body, err, alice.Pending())
		}
		if st.From != pm || st.Type != "chat" {
			t.Errorf("the answer to a private %s came from %s (%s), want a chat message from %s: %s", body, st.From, st.Type, pm, st.XML)
		}
		return st
	}
	answer("/timer", "Disappearing messages are off in this chat")
	p := answer("/pins", "Pinned (1 of 1)")
	if r := regexp.MustCompile(`<reply [^>]*>`).FindString(p.XML); !strings.Contains(r, ` to="`+one+`"`) {
		t.Errorf("the pin's reply does not name its author %s: %s", one, p.XML)
	}
}
