package bridge_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

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
	j := join(t, alice, "a", "")
	// The standing Echo One had before each change: a presence of it
	// may come again after the change was asked (its avatar fetched
	// late, its availability), and is no answer to the change.
	was := standingOf(t, j.occupants, "Echo One")
	set := func(item string) {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+item+`</query></iq>`)
		if err != nil || st.Type != "result" {
			t.Fatalf("%s: %v %s", item, err, st.XML)
		}
	}
	standing := func(aff, role string) {
		t.Helper()
		want := [2]string{aff, role}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for {
			st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
				return s.Name == "presence" && s.From == room+"/Echo One" && s.Type == ""
			})
			if err != nil {
				t.Fatalf("no presence of Echo One %s and %s: %v", aff, role, err)
			}
			switch got := occupantStanding(t, st.XML); got {
			case want:
				was = want
				return
			case was:
				continue // the earlier standing, told again
			default:
				t.Fatalf("want Echo One %s and %s, got %s", aff, role, st.XML)
			}
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

// standingOf is the affiliation and role of the occupant nick among a
// join's occupant presences.
func standingOf(t *testing.T, occupants []xmpptest.Stanza, nick string) [2]string {
	t.Helper()
	for _, o := range occupants {
		if o.From == room+"/"+nick {
			return occupantStanding(t, o.XML)
		}
	}
	t.Fatalf("no occupant %s at the join", nick)
	return [2]string{}
}

// occupantStanding is the affiliation and role of an occupant presence's
// muc#user item.
func occupantStanding(t *testing.T, x string) [2]string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(x))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("no muc#user item in %s: %v", x, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "item" || se.Name.Space != "http://jabber.org/protocol/muc#user" {
			continue
		}
		var out [2]string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "affiliation":
				out[0] = a.Value
			case "role":
				out[1] = a.Value
			}
		}
		return out
	}
}
