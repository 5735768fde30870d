package bridge

import (
	"log/slog"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/pluginhost"
	"passerelle.im/passerelle/bridge/wire"
)

// A network without group_unban: affiliation none for someone banned
// from the group is feature-not-implemented, saying why, with no command sent;
// for a member it stays the kick it is; an address or nick the gateway
// cannot name is item-not-found before the feature matters.
func TestUnbanWithoutTheFeature(t *testing.T) {
	tr, s, r := roomFixture(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never started: no features
	item := func(attrs string) *wire.Element {
		t.Helper()
		st, err := wire.Parse(`<iq type='set' to='g1@echo.localhost' id='1'><query xmlns='http://jabber.org/protocol/muc#admin'><item ` + attrs + `/></query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st.Payload().Child("", "item")
	}

	r.banned["echo-9"] = ""
	cs, cond, text := s.adminCommands(r, item(`affiliation='none' jid='echo-9@echo.localhost'`))
	if cs != nil || cond != wire.FeatureNotImpl || !strings.Contains(text, "cannot lift bans") {
		t.Errorf("unban without the feature: %v, %s %q", cs, cond, text)
	}
	cs, _, _ = s.adminCommands(r, item(`affiliation='none' jid='echo-1@echo.localhost'`))
	if len(cs) != 1 || cs[0].GetKick() == nil || cs[0].GetKick().UserId != "echo-1" || cs[0].GetKick().Ban {
		t.Errorf("affiliation none for a member: %v, want a kick", cs)
	}
	for _, attrs := range []string{`affiliation='none' jid='bob@localhost'`, `affiliation='none' jid='echo.localhost'`, `affiliation='none' nick='Nobody'`, `affiliation='none' jid='not a jid@@'`} {
		if cs, cond, _ := s.adminCommands(r, item(attrs)); cs != nil || cond != wire.ItemNotFound {
			t.Errorf("%s: %v, %s; want item-not-found", attrs, cs, cond)
		}
	}
}

// TestUnbanOfOneNotBanned: affiliation none for someone neither in the
// group nor on its ban list (Conversations sets it on each invitee it
// does not know) is nothing to do: no command to the network, no error,
// with group_unban or without. Before, it was an Unban to the network,
// or feature-not-implemented without the feature, which failed the
// invitation.
func TestUnbanOfOneNotBanned(t *testing.T) {
	tr, s, r := roomFixture(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never started: no features
	st, err := wire.Parse(`<iq type='set' to='g1@echo.localhost' id='1'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='echo-9@echo.localhost'/></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if cs, cond, text := s.adminCommands(r, st.Payload().Child("", "item")); cs != nil || cond != "" {
		t.Errorf("affiliation none for one not banned: %v, %s %q; want nothing to do", cs, cond, text)
	}
}
