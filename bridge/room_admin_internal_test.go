package bridge

import (
	"log/slog"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
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

// TestAdminItemNamingTheUser: a muc#admin item naming the user, by nick
// or by their own address (as the member lists show them), asking for
// what they are already is nothing to do (a list saved as it was read);
// asking to kick, ban or change them is conflict, saying why (XEP-0045
// §8.2, §10.6). Before, both were item-not-found, "no member of the
// group has this nick or address": a list saved unchanged with the user
// in it failed.
func TestAdminItemNamingTheUser(t *testing.T) {
	tr, s, r := roomFixture(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never started
	r.mu.Lock()
	r.selfAff, r.selfRole = pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR
	nick := r.ownNickLocked(s)
	r.mu.Unlock()
	item := func(attrs string) *wire.Element {
		t.Helper()
		st, err := wire.Parse(`<iq type='set' to='g1@echo.localhost' id='1'><query xmlns='http://jabber.org/protocol/muc#admin'><item ` + attrs + `/></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st.Payload().Child("", "item")
	}
	for _, attrs := range []string{`affiliation='owner' jid='alice@localhost'`, `role='moderator' nick='` + nick + `'`, `affiliation='owner' jid='alice@localhost/phone'`, `affiliation='owner' jid='alice-echo@echo.localhost'`} {
		if cs, cond, text := s.adminCommands(r, item(attrs)); cs != nil || cond != "" {
			t.Errorf("%s, as the user is: %v, %s %q; want nothing to do", attrs, cs, cond, text)
		}
	}
	for _, attrs := range []string{`role='none' nick='` + nick + `'`, `affiliation='outcast' jid='alice@localhost'`, `affiliation='member' jid='alice@localhost'`} {
		if cs, cond, text := s.adminCommands(r, item(attrs)); cs != nil || cond != wire.Conflict || !strings.Contains(text, "this is you") {
			t.Errorf("%s: %v, %s %q; want conflict saying it is the user", attrs, cs, cond, text)
		}
	}
}

// TestAdminItemNamingAGuest: a kick or ban by the nick of a guest (a
// sender the network's member list does not have: a large group listed
// in part) is the network's Kick of that sender, as for a member.
// Before, it was item-not-found, "no member of the group has this nick
// or address", though the guest's messages show that nick.
func TestAdminItemNamingAGuest(t *testing.T) {
	_, s, r := roomFixture(t)
	r.mu.Lock()
	nick := r.nicks.Guest("echo-9", "Nine")
	r.mu.Unlock()
	item := func(attrs string) *wire.Element {
		t.Helper()
		st, err := wire.Parse(`<iq type='set' to='g1@echo.localhost' id='1'><query xmlns='http://jabber.org/protocol/muc#admin'><item ` + attrs + `/></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st.Payload().Child("", "item")
	}
	cs, cond, text := s.adminCommands(r, item(`role='none' nick='`+nick+`'`))
	if len(cs) != 1 || cs[0].GetKick().GetUserId() != "echo-9" || cs[0].GetKick().GetBan() || cond != "" {
		t.Errorf("kick of the guest %s: %v, %s %q; want the network's Kick of echo-9", nick, cs, cond, text)
	}
	cs, cond, text = s.adminCommands(r, item(`affiliation='outcast' nick='`+nick+`'`))
	if len(cs) != 1 || cs[0].GetKick().GetUserId() != "echo-9" || !cs[0].GetKick().GetBan() || cond != "" {
		t.Errorf("ban of the guest %s: %v, %s %q; want the network's ban of echo-9", nick, cs, cond, text)
	}
}
