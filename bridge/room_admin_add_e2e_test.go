package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomAdminAffiliationAdds: a muc#admin set making a contact who is
// not in the group an admin (Gajim's affiliation editor, an address added
// to the admin list) adds the contact, then promotes them; ownership is
// refused not-allowed, saying to add them first, with nothing sent; a
// ban of one who is not in the group goes to the network, whose refusal
// the user reads (the echo network bans only members: TestRoomBanNonMember). Before, all three were item-not-found: "no
// member of the group has this nick or address", as for a typing error.
func TestRoomAdminAffiliationAdds(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	admin := func(item string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+item+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := admin(`<item affiliation='owner' jid='echo-5@` + domain + `'/>`); st.Type != "error" || st.Err == nil || st.Err.Condition != "not-allowed" || !strings.Contains(st.Err.Text, "member first") {
		t.Errorf("owner affiliation for a contact not in the group: want not-allowed saying why, got %s", st.XML)
	}
	if st := admin(`<item affiliation='outcast' jid='echo-5@` + domain + `'/>`); st.Type != "error" || st.Err == nil || st.Err.Condition != "item-not-found" || !strings.Contains(st.Err.Text, "echo-5 is not in the group") {
		t.Errorf("outcast affiliation for a contact not in the group: want the echo network's refusal, item-not-found, got %s", st.XML)
	}
	if st := admin(`<item affiliation='admin' jid='echo-6@` + domain + `'/>`); st.Type != "result" {
		t.Fatalf("admin affiliation for a contact not in the group: want result, got %s", st.XML)
	}
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && bareJID(s.From) == room && s.Type == "" && strings.Contains(s.XML, `jid="echo-6@`+domain+`"`) &&
			strings.Contains(s.XML, `affiliation="admin"`) && strings.Contains(s.XML, `role="moderator"`)
	}); err != nil {
		t.Fatalf("echo-6 not shown as an admin: %v; pending %v", err, alice.Pending())
	}
	for _, st := range alice.Pending() {
		if st.Name == "presence" && strings.Contains(st.XML, `jid="echo-5@`+domain+`"`) {
			t.Errorf("echo-5 was added though ownership was refused: %s", st.XML)
		}
	}
}
