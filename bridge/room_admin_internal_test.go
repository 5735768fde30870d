package bridge

import (
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestAdminItemAsItIs: a muc#admin item giving a member the affiliation
// or role they have already (Converse.js's /member for a member, a
// client saving a member list unchanged) sends nothing to the network,
// which may refuse it (WhatsApp's demotion of one who is no admin);
// a change still goes. Before, each was a SetRole that changed nothing.
func TestAdminItemAsItIs(t *testing.T) {
	_, s, r := roomFixture(t)
	item := func(attrs string) *wire.Element {
		t.Helper()
		st, err := wire.Parse(`<iq type='set' to='g1@echo.localhost' id='1'><query xmlns='http://jabber.org/protocol/muc#admin'><item ` + attrs + `/></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st.Payload().Child("", "item")
	}
	for _, attrs := range []string{`affiliation='member' nick='One'`, `role='participant' nick='One'`, `affiliation='member' jid='echo-2@echo.localhost'`} {
		if cs, cond, text := s.adminCommands(r, item(attrs)); cs != nil || cond != "" {
			t.Errorf("%s, as it is: %v, %s %q; want nothing to do", attrs, cs, cond, text)
		}
	}
	cs, cond, _ := s.adminCommands(r, item(`affiliation='admin' nick='One'`))
	if len(cs) != 1 || cs[0].GetSetRole().GetAffiliation() != pb.Affiliation_AFFILIATION_ADMIN || cond != "" {
		t.Errorf("making a member admin: %v, %s; want a SetRole", cs, cond)
	}
}
