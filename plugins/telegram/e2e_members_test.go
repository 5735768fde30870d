package telegram_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Running a Telegram group from the room, through the gateway and a real
// Prosody: a mediated invitation adds dora's contact to the basic group
// on Telegram and they appear in the room; a muc#admin item makes eve an
// admin (a moderator in the room, from Telegram's
// updateChatParticipantAdmin); in a supergroup frank made a visitor is
// restricted on Telegram and shown as a visitor; making someone owner is
// refused as Telegram cannot.
func TestGatewayRoomAdmin(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	gina := tgfake.User{ID: 2004, FirstName: "Gina", Phone: "33700000004"}
	srv.AddUser(gina)
	srv.AddContact(dora.ID, gina.ID)
	srv.AddChannel(tgfake.Channel{ID: 910, Title: "Crew", Members: []int64{dora.ID, eve.ID, frank.ID}, Creator: dora.ID})
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	ginaJID := g.JID("2004")
	g.WaitRoster(d, "gina on the roster", func(r map[string]gatewaytest.RosterItem) bool { return r[ginaJID].Name == "Gina" })

	ctx := ctxT(t)
	group, super := g.JID("-88"), g.JID("-100910")
	g.WaitLog("room=" + super)
	join := func(room string) {
		t.Helper()
		if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
			t.Fatal(err)
		}
		self := g.Next(d, "self-presence in "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
		})
		if self.Type == "error" {
			t.Fatalf("join %s: %s", room, self.XML)
		}
	}
	admin := func(room, items string) xmpptest.Stanza {
		t.Helper()
		st, err := d.IQ(ctx, `<iq type='set' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+items+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	presenceWith := func(room, what string, want ...string) xmpptest.Stanza {
		t.Helper()
		return g.Next(d, what, func(s xmpptest.Stanza) bool {
			if s.Name != "presence" || gatewaytest.Bare(s.From) != room || s.Type != "" {
				return false
			}
			for _, w := range want {
				if !strings.Contains(s.XML, w) {
					return false
				}
			}
			return true
		})
	}

	// The basic group: gina invited, eve made admin.
	join(group)
	if err := d.SendRaw(ctx, `<message to='`+group+`'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='`+ginaJID+`'/></x></message>`); err != nil {
		t.Fatal(err)
	}
	presenceWith(group, "gina in the room", `jid="`+ginaJID)
	if !slices.Contains(srv.GroupInfo(88).Members, gina.ID) {
		t.Error("gina is not in the group on Telegram")
	}
	if st := admin(group, `<item nick='Eve' affiliation='admin'/>`); st.Type != "result" {
		t.Fatalf("eve made admin: %s", st.XML)
	}
	presenceWith(group, "eve a moderator", `affiliation="admin"`, `role="moderator"`, `jid="`+g.JID("2002"))
	if !slices.Contains(srv.GroupInfo(88).Admins, eve.ID) {
		t.Error("eve is no admin on Telegram")
	}

	// The supergroup: frank muted; ownership refused.
	join(super)
	if st := admin(super, `<item nick='Frank' role='visitor'/>`); st.Type != "result" {
		t.Fatalf("frank made a visitor: %s", st.XML)
	}
	presenceWith(super, "frank a visitor", `role="visitor"`, `jid="`+g.JID("2003"))
	if !slices.Contains(srv.ChannelInfo(910).Restricted, frank.ID) {
		t.Error("frank is not restricted on Telegram")
	}
	st := admin(super, `<item nick='Eve' affiliation='owner'/>`)
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "feature-not-implemented" || !strings.Contains(st.XML, "password") {
		t.Errorf("eve made owner: %s, want feature-not-implemented", st.XML)
	}
}
