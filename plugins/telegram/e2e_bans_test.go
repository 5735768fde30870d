package telegram_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A supergroup's ban list through Prosody, the gateway and the plugin
// process on the fake Telegram: frank, banned from the room, is an
// outcast at once; gina, banned on Telegram before, and frank are the
// room's outcasts after the gateway restarts; eve, muted, is a visitor and no outcast. Before, Telegram's
// room had no ban list after a restart (its ChatInfo listed no bans).
func TestGatewayBanList(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	gina := tgfake.User{ID: 2004, FirstName: "Gina", Phone: "33700000004"}
	srv.AddUser(gina)
	srv.AddChannel(tgfake.Channel{ID: 920, Title: "Bar", Members: []int64{dora.ID, eve.ID, frank.ID}, Creator: dora.ID,
		Restricted: []int64{eve.ID}, Banned: []int64{gina.ID}})
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	ctx := ctxT(t)
	room := g.JID("-100920")
	g.WaitLog("room=" + room)

	if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if self := g.Next(d, "self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
	}); self.Type == "error" {
		t.Fatalf("join: %s", self.XML)
	}
	st, err := d.IQ(ctx, `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Frank' affiliation='outcast'/></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("frank banned: %v %s", err, st.XML)
	}
	if !slices.Contains(srv.ChannelInfo(920).Banned, frank.ID) {
		t.Fatal("frank is not banned on Telegram")
	}
	if gone := g.Next(d, "frank out", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/Frank"
	}); !strings.Contains(gone.XML, `code="301"`) {
		t.Errorf("frank left the room as %s, want banned (301)", gone.XML)
	}
	list := func(item string) string {
		st, err := d.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+item+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if st.Type != "result" {
			return "" // the room not back yet
		}
		return st.XML
	}
	ginaJID, frankJID, eveJID := `jid="`+g.JID("2004")+`"`, `jid="`+g.JID("2003")+`"`, `jid="`+g.JID("2002")+`"`
	// At once, not only after a restart: Telegram tells the ban as a
	// removal, so the plugin tells the ban itself.
	g.Eventually("frank an outcast after his ban", func() bool {
		return strings.Contains(list(`<item affiliation='outcast'/>`), frankJID)
	})

	g.Restart()
	g.WaitReady(d)
	var outcasts string
	g.Eventually("gina and frank outcasts after the restart", func() bool {
		outcasts = list(`<item affiliation='outcast'/>`)
		return strings.Contains(outcasts, ginaJID) && strings.Contains(outcasts, frankJID)
	})
	if strings.Contains(outcasts, eveJID) || strings.Count(outcasts, "<item") != 2 {
		t.Errorf("outcasts %s, want gina and frank alone", outcasts)
	}
	if v := list(`<item role='visitor'/>`); !strings.Contains(v, eveJID) {
		t.Errorf("visitors %s, want eve, muted", v)
	}
	if p := list(`<item role='participant'/>`); strings.Contains(p, ginaJID) || strings.Contains(p, frankJID) {
		t.Errorf("participants %s: a banned person among them", p)
	}
}
