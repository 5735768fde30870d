package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomUnban: the user lifts a ban from XMPP as XEP-0045 §9.2 says, by
// giving affiliation none to the banned person's address. The echo
// network keeps the ban (the member's own join is refused, and echo-1
// says so) until the gateway's Unban reaches it; then the member joins
// again. Affiliation none for someone in the room is still a kick; an
// address that is no contact of this network, or a nick nobody in the
// room has, is item-not-found.
func TestRoomUnban(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	admin := func(items string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+items+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	presence := func(match func(xmpptest.Stanza) bool, what string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && bareJID(s.From) == room && match(s) })
		if err != nil {
			t.Fatalf("%s: %v; pending: %v", what, err, alice.Pending())
		}
		return st
	}
	joinedAs := func(userID string) xmpptest.Stanza {
		t.Helper()
		return presence(func(s xmpptest.Stanza) bool {
			return s.Type == "" && strings.Contains(s.XML, `jid="`+userID+`@`+domain+`"`)
		}, userID+" never joined")
	}
	failsWith := func(st xmpptest.Stanza, cond, text string) {
		t.Helper()
		if st.Type != "error" || st.Err == nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Fatalf("want %s saying %q, got %s", cond, text, st.XML)
		}
	}

	// echo-5 comes in and is banned by address.
	groupchat(t, alice, "join 5")
	five := nick(joinedAs("echo-5").From)
	if st := admin(`<item affiliation='outcast' jid='echo-5@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("ban: %s", st.XML)
	}
	presence(func(s xmpptest.Stanza) bool {
		return s.From == room+"/"+five && s.Type == "unavailable" && strings.Contains(s.XML, `code="301"`)
	}, "no ban presence")

	// The ban holds on the network.
	groupchat(t, alice, "join 5")
	roomMessage(t, alice, "Echo One", "echo-5 is banned from the group")

	// affiliation none for someone not in the room lifts the ban: the
	// answer comes once the network took it, and echo-5 may come back.
	if st := admin(`<item affiliation='none' jid='echo-5@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("unban: %s", st.XML)
	}
	groupchat(t, alice, "join 5")
	joinedAs("echo-5")

	// affiliation none for someone in the room is a kick, by address
	// too; lifting a ban they never had is no error.
	if st := admin(`<item affiliation='none' jid='echo-2@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("remove echo-2: %s", st.XML)
	}
	presence(func(s xmpptest.Stanza) bool {
		return s.From == room+"/Echo Two" && s.Type == "unavailable" && strings.Contains(s.XML, `code="307"`)
	}, "no kick presence")
	if st := admin(`<item affiliation='none' jid='echo-2@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("unban of one never banned: %s", st.XML)
	}

	// Whom the gateway cannot name on the network.
	failsWith(admin(`<item affiliation='none' jid='bob@localhost'/>`), "item-not-found", "no member")
	failsWith(admin(`<item affiliation='none' jid='`+domain+`'/>`), "item-not-found", "no member")
	failsWith(admin(`<item affiliation='none' nick='Nobody'/>`), "item-not-found", "no member")
}
