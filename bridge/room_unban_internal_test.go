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
	c, cond, text := s.adminCommand(r, item(`affiliation='none' jid='echo-9@echo.localhost'`))
	if c != nil || cond != wire.FeatureNotImpl || !strings.Contains(text, "cannot lift bans") {
		t.Errorf("unban without the feature: %v, %s %q", c, cond, text)
	}
	c, _, _ = s.adminCommand(r, item(`affiliation='none' jid='echo-1@echo.localhost'`))
	if k := c.GetKick(); k == nil || k.UserId != "echo-1" || k.Ban {
		t.Errorf("affiliation none for a member: %v, want a kick", c)
	}
	for _, attrs := range []string{`affiliation='none' jid='bob@localhost'`, `affiliation='none' jid='echo.localhost'`, `affiliation='none' nick='Nobody'`, `affiliation='none' jid='not a jid@@'`} {
		if c, cond, _ := s.adminCommand(r, item(attrs)); c != nil || cond != wire.ItemNotFound {
			t.Errorf("%s: %v, %s; want item-not-found", attrs, c, cond)
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
	if c, cond, text := s.adminCommand(r, st.Payload().Child("", "item")); c != nil || cond != "" {
		t.Errorf("affiliation none for one not banned: %v, %s %q; want nothing to do", c, cond, text)
	}
}
