package bridge_test

import (
	"slices"
	"testing"
)

// TestRenameKeepsUserRoster: a contact the network renames keeps the
// name and groups the user gave it in the roster; one the user left as
// the network named it takes the new name, in the user's groups; one the
// user took out of the roster stays out. Before, the rename was pushed
// as a new contact: the user's name and groups gone, a removed contact
// back.
func TestRenameKeepsUserRoster(t *testing.T) {
	_, alice := privilegedAlice(t)
	one, two, three := "echo-1@"+domain, "echo-2@"+domain, "echo-3@"+domain
	for _, item := range []string{
		`<item jid='` + one + `' name='Mum'><group>Family</group></item>`,
		`<item jid='` + two + `' subscription='remove'/>`,
		`<item jid='` + three + `' name='Echo Three'><group>Friends</group></item>`,
	} {
		if st, err := alice.IQ(ctxT(t), `<iq type='set'><query xmlns='jabber:iq:roster'>`+item+`</query></iq>`); err != nil || st.Type != "result" {
			t.Fatalf("roster set %s: %v %s", item, err, st.XML)
		}
	}
	for _, c := range []string{one, two, three} {
		n := c[len("echo-") : len("echo-")+1]
		sendChat(t, alice, c, "rename "+n+" Renamed "+n)
		// The contact's change comes in its chat before this echo.
		sendChat(t, alice, c, "after "+n)
		for st := nextMessage(t, alice, c, timeout); st.Body != "after "+n; st = nextMessage(t, alice, c, timeout) {
		}
	}
	r := roster(t, alice)
	if got := r[one]; got.Name != "Mum" || !slices.Equal(got.Groups, []string{"Family"}) {
		t.Errorf("the user's own name and group for echo-1: %+v, want Mum in Family", got)
	}
	if got, ok := r[two]; ok {
		t.Errorf("echo-2, taken out of the roster, is back: %+v", got)
	}
	if got := r[three]; got.Name != "Renamed 3" || !slices.Equal(got.Groups, []string{"Friends"}) {
		t.Errorf("echo-3 (the network's name, the user's group): %+v, want Renamed 3 in Friends", got)
	}
}
