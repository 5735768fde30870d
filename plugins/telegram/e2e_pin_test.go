package telegram_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// stanzaIDRe finds a room message's stanza-id (XEP-0359) given by the
// room.
var stanzaIDRe = regexp.MustCompile(`<stanza-id xmlns="urn:xmpp:sid:0" [^>]*id="([^"]+)"`)

// Pinned messages through the whole stack: a real Prosody, the gateway,
// the plugin binary and the fake Telegram.
//
// Dora's "/pin" sent as a reply (XEP-0461) to Eve's message pins it on
// Telegram (messages.updatePinnedMessage) and is no message to Eve; the
// notice comes once, from Dora (a carbon of a message sent as her),
// replying to the message; "/unpin" the same. In the group's room,
// Frank's message pinned by Eve on Telegram is Eve's notice replying to
// it; her unpin is the room's own notice (Telegram does not say who).
// In the private chat, her pin on Telegram is hers, her unpin from her
// address (the chat's only one) in words saying Telegram does not tell
// who.
func TestGatewayPin(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID := g.JID("2002")
	ctx := ctxT(t)
	// The user's own notices reach the client as carbons of messages sent
	// as the user (XEP-0356).
	if err := d.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	dp := &tg.PeerUser{UserID: dora.ID}
	isNotice := func(text string) func(s xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool { return s.Name == "message" && strings.Contains(s.XML, text) }
	}
	repliesTo := func(what string, s xmpptest.Stanza, id string) {
		t.Helper()
		if !strings.Contains(s.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(s.XML, `id="`+id+`"`) {
			t.Errorf("%s does not reply to %s: %s", what, id, s.XML)
		}
	}
	// barrier is a message from eve, and its arrival: what Telegram sent
	// before it has been through the gateway.
	barrier := func(text string) {
		t.Helper()
		srv.Send(eve.ID, dp, text)
		g.Next(d, "eve's "+text, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body == text
		})
	}
	noMore := func(what, text string) {
		t.Helper()
		for _, s := range d.Pending() {
			if isNotice(text)(s) {
				t.Errorf("%s: a second notice: %s", what, s.XML)
			}
		}
	}

	// 1. "/pin" and "/unpin" in the private chat.
	gid := srv.Send(eve.ID, dp, "lunch at 1")
	msg := g.NextMessage(d, eveJID)
	if msg.Body != "lunch at 1" || msg.ID == "" {
		t.Fatalf("eve's message: %s", msg.XML)
	}
	reply := func(to, body, target string) {
		t.Helper()
		id := d.NewID()
		if err := d.SendRaw(ctx, `<message type='chat' id='`+id+`' to='`+to+`'><body>`+body+`</body>`+
			`<reply xmlns='urn:xmpp:reply:0' to='`+to+`' id='`+gatewaytest.Escape(target)+`'/>`+
			`<origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
			t.Fatal(err)
		}
	}
	ep := &tg.PeerUser{UserID: eve.ID}
	for _, c := range []struct {
		cmd, notice string
		pinned      bool
	}{{"/pin", "📌 Pinned a message", true}, {"/unpin", "Unpinned a message", false}} {
		reply(eveJID, c.cmd, msg.ID)
		n := g.Next(d, "the notice of "+c.cmd, isNotice(c.notice))
		if !strings.Contains(n.XML, "urn:xmpp:carbons:2") || !strings.Contains(n.XML, `from="dora@localhost`) || !strings.Contains(n.XML, `to="`+eveJID) {
			t.Errorf("the notice of %s: %s, want a carbon of %q from dora to eve", c.cmd, n.XML, c.notice)
		}
		repliesTo("the notice of "+c.cmd, n, msg.ID)
		if got := srv.Pinned(ep, gid); got != c.pinned {
			t.Errorf("after %s, the message is pinned on Telegram: %v", c.cmd, got)
		}
		barrier("after " + c.cmd)
		noMore(c.cmd, c.notice)
	}
	if got := srv.Requests("messages.updatePinnedMessage"); got != 2 {
		t.Errorf("%d requests messages.updatePinnedMessage, want 2", got)
	}
	for _, m := range srv.Messages(eve.ID) {
		if strings.HasPrefix(m.Message, "/pin") || strings.HasPrefix(m.Message, "/unpin") {
			t.Errorf("a command reached eve as a message: %q", m.Message)
		}
	}

	// Eve's pin on Telegram is hers; her unpin comes from her address too
	// (the chat's only one), but Telegram does not say who unpinned, so
	// its words do not claim she did.
	srv.Pin(eve.ID, dp, gid, false)
	n := g.Next(d, "eve's pin", isNotice("📌 Pinned a message"))
	if gatewaytest.Bare(n.From) != eveJID {
		t.Errorf("eve's pin: %s, want from %s", n.XML, eveJID)
	}
	srv.Pin(eve.ID, dp, gid, true)
	n = g.Next(d, "eve's unpin", isNotice("unpinned"))
	if gatewaytest.Bare(n.From) != eveJID || !strings.Contains(n.Body, "Telegram does not say by whom") {
		t.Errorf("eve's unpin: %s, want from %s saying Telegram does not tell who", n.XML, eveJID)
	}
	repliesTo("eve's unpin", n, msg.ID)
	barrier("after eve's pins")
	noMore("eve's unpin", "unpinned")

	// 2. The group's room: eve pins frank's message on Telegram, then
	// unpins it.
	room := g.JID("-88")
	if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if self := g.Next(d, "self-presence in the room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
	}); self.Type == "error" {
		t.Fatalf("join: %s", self.XML)
	}
	group := &tg.PeerChat{ChatID: 88}
	ggid := srv.Send(frank.ID, group, "maps on the table")
	fm := g.Next(d, "frank's group message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "maps on the table"
	})
	sid := stanzaIDRe.FindStringSubmatch(fm.XML)
	if sid == nil {
		t.Fatalf("frank's message has no stanza-id of the room: %s", fm.XML)
	}
	srv.Pin(eve.ID, group, ggid, false)
	n = g.Next(d, "eve's pin in the room", isNotice("📌 Pinned a message"))
	if gatewaytest.Bare(n.From) != room || n.Type != "groupchat" || !strings.HasPrefix(n.From, room+"/Eve") {
		t.Errorf("eve's pin: %s, want a groupchat message from her occupant", n.XML)
	}
	repliesTo("eve's pin", n, sid[1])
	srv.Pin(eve.ID, group, ggid, true)
	n = g.Next(d, "eve's unpin in the room", isNotice("Unpinned a message"))
	if n.From != room || n.Type != "groupchat" {
		t.Errorf("the unpin: %s, want a groupchat message from the room itself", n.XML)
	}
	repliesTo("the unpin", n, sid[1])
	barrier("after the group's pins")
	noMore("eve's pin", "Pinned a message")
	for _, s := range d.Pending() {
		if s.Type == "error" {
			t.Errorf("an unexpected error: %s", s.XML)
		}
	}
}
