package telegram_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// TestGatewayFindGroup: the whole way through a real Prosody, the
// gateway and the plugin binary against the fake Telegram: the find chat
// command and the find-group ad-hoc command find a public supergroup and
// a public channel by a part of their names, with their room addresses
// (-100N@, the rooms the plugin gives them), member counts and public
// names, not a private group dora is not in; a query too short for
// Telegram is told so. The found room's address joins the group (the
// search kept its access hash), and messages cross it both ways.
func TestGatewayFindGroup(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gopher Lounge", Username: "gopherlounge", Members: []int64{eve.ID, frank.ID}, Creator: eve.ID})
	srv.AddChannel(tgfake.Channel{ID: 631, Title: "Gopher News", Username: "gophernews", Broadcast: true, Members: []int64{eve.ID}, Creator: eve.ID})
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Gopher Secrets", Members: []int64{eve.ID, frank.ID}, Creator: eve.ID})
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	g.WaitRoster(d, "eve on the roster", func(r map[string]gatewaytest.RosterItem) bool { return r[g.JID("2002")].Name == "Eve" })
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	room := g.JID("-100630")

	// say sends a chat command and returns the gateway's answer, the
	// first message from it that holds mark.
	say := func(cmd, mark string) string {
		t.Helper()
		if err := d.SendRaw(ctx, `<message type='chat' to='`+g.Domain+`'><body>`+cmd+`</body></message>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(d, "the answer to "+cmd, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == g.Domain && strings.Contains(s.Body, mark)
		}).Body
	}
	want := "2 groups found for “gopher”.\n" +
		"  Gopher Lounge: " + room + " (2 members)\n      @gopherlounge\n" +
		"  Gopher News (channel): " + g.JID("-100631") + " (1 member)\n      @gophernews\n" +
		"Join one by its room address."
	if got := say("find gopher", "groups"); got != want {
		t.Errorf("find gopher:\n%s\nwant\n%s", got, want)
	}
	if got := say("find go", "characters"); !strings.Contains(got, "at least 4 characters") {
		t.Errorf("find go: %q, want it to say Telegram needs 4 characters", got)
	}

	form, st := g.Command(d, "find-group", "", "", nil)
	if st.Type != "result" || form.Command.Status != "executing" {
		t.Fatalf("find-group: %s", st.XML)
	}
	r, st := g.Command(d, "find-group", form.Command.SessionID, "", map[string]string{"query": "lounge"})
	if st.Type != "result" || r.Command.Status != "completed" || !strings.Contains(r.XML, "<value>"+room+"</value>") ||
		!strings.Contains(r.XML, "<value>@gopherlounge</value>") || !strings.Contains(r.XML, "<value>2</value>") || strings.Contains(r.XML, "Secrets") {
		t.Fatalf("find-group lounge: %s", r.XML)
	}

	if err := d.SendRaw(ctx, `<presence to='`+room+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	self := g.Next(d, "the answer to the join of "+room, func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
	})
	if self.Type == "error" {
		t.Fatalf("join of the found %s: %s", room, self.XML)
	}
	if !slices.Contains(srv.ChannelInfo(630).Members, dora.ID) {
		t.Error("dora is not in the group on Telegram")
	}
	srv.Send(eve.ID, &tg.PeerChannel{ChannelID: 630}, "welcome, dora")
	g.Next(d, "eve's message in "+room, func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == "welcome, dora"
	})
	id := d.NewID()
	if err := d.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>found you</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	waitChannel(t, srv, 630, "found you")
}
