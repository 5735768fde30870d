package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomAffiliationCarriesRole: an affiliation change without a role
// (Gajim's and Conversations' "make admin", "revoke admin") gives the
// member the role that goes with it (XEP-0045 §9.7, §10.7): an admin is
// a moderator, one made a member again a participant. Before, the role
// the member had went along unchanged: a new admin stayed a participant,
// and a revoked admin stayed a moderator, which WhatsApp takes for an
// admin, so that the demotion promoted them again and nothing changed.
func TestRoomAffiliationCarriesRole(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	set := func(item string) {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+item+`</query></iq>`)
		if err != nil || st.Type != "result" {
			t.Fatalf("%s: %v %s", item, err, st.XML)
		}
	}
	standing := func(aff, role string) {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == room+"/Echo One" && s.Type == ""
		})
		if err != nil {
			t.Fatalf("no presence of Echo One: %v", err)
		}
		if !strings.Contains(st.XML, `affiliation="`+aff+`"`) || !strings.Contains(st.XML, `role="`+role+`"`) {
			t.Errorf("want Echo One %s and %s, got %s", aff, role, st.XML)
		}
	}
	// An admin, as the network shows one, loses it.
	set(`<item nick='Echo One' affiliation='admin' role='moderator'/>`)
	standing("admin", "moderator")
	set(`<item jid='echo-1@` + domain + `' affiliation='member'/>`)
	standing("member", "participant")
	// And is made one again.
	set(`<item nick='Echo One' affiliation='admin'/>`)
	standing("admin", "moderator")
	// A role given with the affiliation is as asked.
	set(`<item nick='Echo One' affiliation='member' role='visitor'/>`)
	standing("member", "visitor")
}
