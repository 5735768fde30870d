package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomPrivateMessageToNonContact: a private message to a member who
// is not one of the user's contacts goes to that member's direct chat on
// the network (its chat ID is the member's user ID, as a contact's is),
// and the answer comes from the member's own address. Before, it was
// refused not-acceptable, "private messages go to contacts only",
// though WhatsApp, Signal, Telegram and IRC reach any member.
func TestRoomPrivateMessageToNonContact(t *testing.T) {
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
	raw(t, alice, `<message type='chat' id='pm5' to='`+p.From+`'><body>psst five</body></message>`)
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && (st.ID == "pm5" && st.Type == "error" || st.Body == "psst five")
	})
	if err != nil {
		t.Fatalf("no answer: %v; pending %v", err, alice.Pending())
	}
	if st.Type == "error" || bareJID(st.From) != "echo-5@"+domain {
		t.Fatalf("want the member's echo from echo-5@%s, got %s", domain, st.XML)
	}
}
