package telegram_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// pluginConfig is the [transport.config] body, in TOML, for srv.
func pluginConfig(t *testing.T, srv *tgfake.Server) string {
	t.Helper()
	sc := srv.ServerConfig()
	q := func(s string) string {
		b, err := json.Marshal(s) // a JSON string is a TOML basic string
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var dcs, keys []string
	for id, addr := range sc["dcs"].(map[string]string) {
		dcs = append(dcs, q(id)+" = "+q(addr))
	}
	for _, k := range sc["public_keys"].([]string) {
		keys = append(keys, q(k))
	}
	return fmt.Sprintf("api_id = 17\napi_hash = \"0123456789abcdef\"\nserver = { dc = %d, dcs = { %s }, public_keys = [ %s ] }",
		sc["dc"], strings.Join(dcs, ", "), strings.Join(keys, ", "))
}

// waitDelivered waits until user's box on the fake Telegram has a
// message with text.
func waitDelivered(t *testing.T, srv *tgfake.Server, user int64, text string) *tg.Message {
	t.Helper()
	deadline := time.Now().Add(gatewaytest.Timeout)
	for time.Now().Before(deadline) {
		for _, m := range srv.Messages(user) {
			if m.Message == text {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d never got %q", user, text)
	return nil
}

// pluginBinary is the plugin's binary, built once for the test process
// and shared with the conformance tests (with -race when the tests run
// with it): each gateway test built it again, a link of a few seconds
// each.
func pluginBinary(t *testing.T) string { return plugintest.BuildBinary(t, pluginPkg) }

// doraLoggedIn starts the gateway with the plugin binary against the
// fake Telegram (o adds to the options) and logs Dora in by ad-hoc
// command with her phone number alone (the fake's NoCode).
func doraLoggedIn(t *testing.T, srv *tgfake.Server, o gatewaytest.Options) (*gatewaytest.Gateway, *xmpptest.Client) {
	t.Helper()
	o.Plugin, o.Name, o.PluginConfig, o.Privileged = pluginBinary(t), "telegram", pluginConfig(t, srv), true
	g := gatewaytest.Start(t, o)
	d := g.User("dora")
	g.WaitReady(d)
	r, st := g.Command(d, "login", "", "", nil)
	sid := r.Command.SessionID
	for _, step := range []map[string]string{{"flow": "phone"}, {"phone": "+" + dora.Phone}} {
		r, st = g.Command(d, "login", sid, "next", step)
		if st.Type != "result" {
			t.Fatalf("login step %v: %s", step, st.XML)
		}
	}
	if r.Command.Status != "completed" {
		t.Fatalf("login did not complete: %s", r.XML)
	}
	return g, d
}

// The whole stack: a real Prosody, the gateway, the plugin binary and the
// fake Telegram. Dora logs in by ad-hoc command (phone, code, 2FA
// password); her contact is on her roster; messages cross both ways in
// a private chat and in a group; the gateway restarts in the middle and
// nothing is lost or repeated.
func TestGateway(t *testing.T) {
	srv := fakeTelegram(t, nil)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: pluginBinary(t), Name: "telegram", PluginConfig: pluginConfig(t, srv), Privileged: true})
	d := g.User("dora")
	g.WaitReady(d)

	// Login: the flow, the phone, the code, the password.
	r, st := g.Command(d, "login", "", "", nil)
	sid := r.Command.SessionID
	if st.Type != "result" || sid == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	for _, step := range []map[string]string{
		{"flow": "phone"},
		{"phone": "+" + dora.Phone},
		{"code": dora.Code},
		{"password": dora.Password},
	} {
		r, st = g.Command(d, "login", sid, "next", step)
		if st.Type != "result" {
			t.Fatalf("login step %v: %s", step, st.XML)
		}
	}
	if r.Command.Status != "completed" {
		t.Fatalf("login did not complete: %s", r.XML)
	}

	// The contact on the roster.
	eveJID := g.JID("2002")
	g.WaitRoster(d, "got eve", func(r map[string]gatewaytest.RosterItem) bool { return r[eveJID].Name == "Eve" })

	dp := &tg.PeerUser{UserID: dora.ID}
	// In and out, private chat.
	srv.Send(eve.ID, dp, "hello from telegram")
	if got := g.NextMessage(d, eveJID); got.Body != "hello from telegram" {
		t.Fatalf("from eve: %s", got.XML)
	}
	g.SendChat(d, eveJID, "hello from xmpp")
	waitDelivered(t, srv, eve.ID, "hello from xmpp")

	// The group: join its room, a message each way.
	room := g.JID("-88")
	ctx := ctxT(t)
	if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	self := g.Next(d, "self-presence in the room", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, `code="110"`)
	})
	if self.Type == "error" {
		t.Fatalf("join: %s", self.XML)
	}
	srv.Send(frank.ID, &tg.PeerChat{ChatID: 88}, "hello explorers")
	g.Next(d, "frank's group message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "hello explorers"
	})
	id := d.NewID()
	if err := d.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>hi all</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	if m := waitDelivered(t, srv, frank.ID, "hi all"); m.FromID.(*tg.PeerUser).UserID != dora.ID {
		t.Errorf("frank's copy is from %v", m.FromID)
	}

	// The gateway stops; Telegram keeps what comes meanwhile.
	g.Stop()
	srv.Send(eve.ID, dp, "while the gateway was down")
	g.Run()
	g.WaitReady(d)
	if got := g.NextMessage(d, eveJID); got.Body != "while the gateway was down" {
		t.Fatalf("after the restart: %s", got.XML)
	}
	srv.Send(eve.ID, dp, "after the restart")
	if got := g.NextMessage(d, eveJID); got.Body != "after the restart" {
		t.Fatalf("after the restart: %s", got.XML)
	}
	g.SendChat(d, eveJID, "back again")
	waitDelivered(t, srv, eve.ID, "back again")
	// Nothing repeated: no earlier message from eve came again.
	time.Sleep(time.Second)
	for _, s := range d.Pending() {
		if s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body != "" {
			t.Errorf("repeated or unexpected: %s", s.XML)
		}
	}
	var sent []string
	for _, m := range srv.Messages(eve.ID) {
		if p, ok := m.PeerID.(*tg.PeerUser); ok && p.UserID == dora.ID && !m.Out {
			sent = append(sent, m.Message)
		}
	}
	if !slices.Equal(sent, []string{"hello from xmpp", "back again"}) {
		t.Errorf("eve got %q, want each of dora's messages once", sent)
	}
}

// History through the gateway: what was said before the login arrives
// once, delayed, oldest first; not again after a restart.
func TestGatewayHistory(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	dp := &tg.PeerUser{UserID: dora.ID}
	for _, text := range []string{"old 1", "old 2", "old 3"} {
		srv.Send(eve.ID, dp, text)
	}
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{Backfill: 10})
	eveJID := g.JID("2002")
	delayed := func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "urn:xmpp:delay") }
	for _, want := range []string{"old 1", "old 2", "old 3"} {
		got := g.Next(d, "history", func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body != ""
		})
		if got.Body != want || !delayed(got) {
			t.Fatalf("history: got %s, want %q delayed", got.XML, want)
		}
	}
	g.Restart()
	g.WaitReady(d)
	srv.Send(eve.ID, dp, "new")
	got := g.Next(d, "the new message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body != ""
	})
	if got.Body != "new" || delayed(got) {
		t.Fatalf("after the restart: %s, want the new message (history not again)", got.XML)
	}
}
