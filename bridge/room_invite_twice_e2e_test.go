package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomInviteTwice: Converse.js invites a contact to a members-only
// room twice at once, by a XEP-0249 direct invitation and a muc#admin
// member affiliation for the same address; the second must not reach
// the network while the first is under way or done, which refuses to
// add a member twice and had the second answered with its error.
func TestRoomInviteTwice(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	for round, who := range []string{"echo-6", "echo-5"} {
		invite := `<message id='twice-di` + who + `' to='` + who + `@` + domain + `'><x xmlns='jabber:x:conference' jid='` + room + `'/></message>`
		admin := `<iq type='set' id='twice-iq` + who + `' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='` + who + `@` + domain + `'/></query></iq>`
		first, second := invite, admin
		if round == 1 {
			first, second = admin, invite // in either order
		}
		raw(t, alice, first)
		raw(t, alice, second)
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.ID == "twice-iq"+who })
		if err != nil || st.Type != "result" {
			t.Fatalf("%s: the member affiliation beside a direct invitation: want result, got %v %s", who, err, st.XML)
		}
		if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && bareJID(s.From) == room && s.Type == "" && strings.Contains(s.XML, `jid="`+who+`@`+domain+`"`)
		}); err != nil {
			t.Fatalf("%s was not added: %v; pending %v", who, err, alice.Pending())
		}
	}
	// A message after both, answered in turn: no error came for either
	// invitation before it.
	raw(t, alice, `<message id='twice-end' to='`+room+`' type='groupchat'><body>done</body></message>`)
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.ID == "twice-end" }); err != nil {
		t.Fatal(err)
	}
	for _, st := range alice.Pending() {
		if st.Type == "error" && strings.HasPrefix(st.ID, "twice-") {
			t.Errorf("one of two invitations of one contact was refused: %s", st.XML)
		}
	}
}
