package bridge_test

import (
	"strings"
	"testing"
)

// TestRoomBanNonMember: an admin's ban of an address not in the group
// (XEP-0045 §9.1, affiliation outcast: Gajim's and Conversations' "ban",
// how a request to join is refused on WhatsApp, Signal and Telegram)
// reaches the network as its Kick with the ban, and the network decides:
// the echo network bans only members, and its refusal comes back to the
// admin as the error's text, in the condition of its kind; nothing is
// added to the ban list. Before, the gateway answered
// feature-not-implemented itself and the plugin never heard of it.
func TestRoomBanNonMember(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+
		`<item affiliation='outcast' jid='echo-7@`+domain+`'><reason>asked to join, refused</reason></item></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	// "echo-7 is not in the group" is the echo plugin's own text.
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "item-not-found" || !strings.Contains(st.Err.Text, "echo-7 is not in the group") {
		t.Fatalf("ban of a non-member: want the network's refusal as item-not-found, got %s", st.XML)
	}
	list, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if list.Type != "result" || strings.Contains(list.XML, "echo-7@") {
		t.Errorf("ban list after a refused ban: want it without echo-7, got %s", list.XML)
	}
}
