package telegram_test

import (
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Through the gateway, a real Prosody and the plugin binary: Dora's
// message in the group's room, read by Eve on Telegram, is a displayed
// marker (XEP-0333) from Eve's occupant naming the message as Dora's
// client sent it; Eve renaming the group is her line in the room
// ("Changed the group name to «Cartographers»"), the room renamed too.
// Neither came before: Telegram's read update names no reader, and the
// rename changed the room without a word.
func TestGatewayGroupReadAndRename(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	ctx := ctxT(t)
	room := g.JID("-88")
	if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if self := g.Next(d, "self-presence in the room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
	}); self.Type == "error" {
		t.Fatalf("join: %s", self.XML)
	}
	id := d.NewID()
	if err := d.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>who has the maps?</body><markable xmlns='urn:xmpp:chat-markers:0'/><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	refl := g.Next(d, "the reflection", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "who has the maps?"
	})
	sid := stanzaIDRe.FindStringSubmatch(refl.XML)
	if sid == nil {
		t.Fatalf("the reflection has no stanza-id of the room: %s", refl.XML)
	}
	sent := waitDelivered(t, srv, eve.ID, "who has the maps?")
	srv.ReadGroup(eve.ID, &tg.PeerChat{ChatID: 88}, srv.GID(eve.ID, sent.ID))
	m := g.Next(d, "eve's displayed marker", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<displayed")
	})
	if !strings.HasPrefix(m.From, room+"/Eve") || !(strings.Contains(m.XML, `id="`+sid[1]+`"`) || strings.Contains(m.XML, `id="`+id+`"`)) {
		t.Errorf("the marker: %s, want from Eve's occupant naming %s", m.XML, sid[1])
	}

	srv.RenameGroup(88, eve.ID, "Cartographers")
	n := g.Next(d, "eve's rename line", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Type == "groupchat" && s.Body != ""
	})
	if n.Body != "Changed the group name to «Cartographers»" || !strings.HasPrefix(n.From, room+"/Eve") {
		t.Errorf("the rename: %s, want eve's line", n.XML)
	}
}
