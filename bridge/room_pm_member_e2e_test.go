package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomPrivateAnswerFromOccupant: a private message to a member who
// is not one of the user's contacts goes to that member's direct chat on
// the network (its chat ID is the member's user ID, as a contact's is);
// the answer, which the network sends in that direct chat, comes from
// the member's occupant JID, marked as a private message (the muc#user
// <x/>): the client shows it in the window the user wrote in. Once the
// user writes to the member's own address, answers come from there
// again. Before, every answer came from the member's own address:
// another window than the question's.
func TestRoomPrivateAnswerFromOccupant(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	groupchat(t, alice, "join 5") // echo-5: a member, no contact
	p, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == room && st.Type == "" && strings.Contains(st.XML, "echo-5@")
	})
	if err != nil {
		t.Fatalf("echo-5 never joined: %v", err)
	}
	answer := func(id, to, body string) xmpptest.Stanza {
		t.Helper()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+to+`'><body>`+body+`</body></message>`)
		st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && (st.ID == id && st.Type == "error" || st.Body == body)
		})
		if err != nil {
			t.Fatalf("no answer to %s: %v; pending %v", body, err, alice.Pending())
		}
		if st.Type == "error" {
			t.Fatalf("%s refused: %s", body, st.XML)
		}
		return st
	}
	st := answer("pm1", p.From, "psst five")
	if st.From != p.From || !strings.Contains(st.XML, "http://jabber.org/protocol/muc#user") {
		t.Fatalf("want the member's answer from its occupant JID %s, as a private message, got %s", p.From, st.XML)
	}
	// Written to at its own address: answers come there again.
	st = answer("dm1", "echo-5@"+domain, "hello five")
	if st.From != "echo-5@"+domain || strings.Contains(st.XML, "muc#user") {
		t.Fatalf("want the answer to a direct message from echo-5@%s, got %s", domain, st.XML)
	}
}
