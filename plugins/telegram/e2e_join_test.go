package telegram_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Joining Telegram groups from XMPP through the gateway and a real
// Prosody: a public group by its name (gophers@), a private one by its
// invite link given as joinchat@'s password, another by the room +HASH
// with the hash's capitals escaped (unescaped, the server lowercases
// them, and the error says so), a basic group by its link. Each join is
// answered with gone naming the group's own room (-100…@, or -N@ for a
// basic group), whose join then completes and
// where the group's messages cross both ways. A group that wants an
// admin's approval refuses the join saying so.
func TestGatewayJoinByNameAndLink(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gophers", Username: "gophers", Members: []int64{eve.ID}, Creator: eve.ID})
	srv.AddChannel(tgfake.Channel{ID: 650, Title: "Secret Garden", Members: []int64{eve.ID}, Creator: eve.ID, InviteHash: "AbCdEf123"})
	srv.AddChannel(tgfake.Channel{ID: 660, Title: "Hush", Members: []int64{eve.ID}, Creator: eve.ID, InviteHash: "HushHush7"})
	srv.AddChannel(tgfake.Channel{ID: 670, Title: "Vetted", Members: []int64{eve.ID}, Creator: eve.ID, InviteHash: "Knock_Knock-1", InviteRequest: true})
	srv.AddGroup(tgfake.Group{ID: 95, Title: "Reading Circle", Members: []int64{eve.ID}, Creator: eve.ID, InviteHash: "Read_Circle9"})
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	g.WaitRoster(d, "eve on the roster", func(r map[string]gatewaytest.RosterItem) bool { return r[g.JID("2002")].Name == "Eve" })
	ctx := ctxT(t)

	// joinAs sends a MUC join of room (with a password, when given)
	// and returns the answer: the self-presence or the error.
	joinAs := func(room, password string) xmpptest.Stanza {
		t.Helper()
		x := `<x xmlns='http://jabber.org/protocol/muc'/>`
		if password != "" {
			x = `<x xmlns='http://jabber.org/protocol/muc'><password>` + gatewaytest.Escape(password) + `</password></x>`
		}
		if err := d.SendRaw(ctx, `<presence to='`+gatewaytest.Escape(room)+`/dora'>`+x+`</presence>`); err != nil {
			t.Fatal(err)
		}
		return g.Next(d, "the answer to the join of "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, `code="110"`))
		})
	}
	// redirected joins alias, expects gone naming the room of the group
	// (a channel, or a basic group), joins that, and checks that
	// messages cross it both ways.
	redirected := func(alias, password string, group tg.PeerClass) {
		t.Helper()
		var chat string
		var member func() bool
		var channel int64
		switch p := group.(type) {
		case *tg.PeerChannel:
			channel = p.ChannelID
			chat = "-100" + itoa(channel)
			member = func() bool { return slices.Contains(srv.ChannelInfo(channel).Members, dora.ID) }
		case *tg.PeerChat:
			chat = "-" + itoa(p.ChatID)
			member = func() bool { return slices.Contains(srv.GroupInfo(p.ChatID).Members, dora.ID) }
		}
		room := g.JID(chat)
		st := joinAs(alias, password)
		if st.Type != "error" || st.Err == nil || st.Err.Condition != "gone" || !strings.Contains(st.XML, "xmpp:"+strings.ReplaceAll(room, `\`, "%5C")+"?join") {
			t.Fatalf("join %s: want gone naming %s, got %s", alias, room, st.XML)
		}
		g.WaitLog("room=" + room) // announced: a bookmark or an invitation
		if self := joinAs(room, ""); self.Type == "error" {
			t.Fatalf("join %s: %s", room, self.XML)
		}
		if !member() {
			t.Errorf("dora is not in %s on Telegram", chat)
		}
		text := "hello from eve in " + chat
		srv.Send(eve.ID, group, text)
		g.Next(d, "eve's message in "+room, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == room && s.Body == text
		})
		id := d.NewID()
		reply := "dora answers in " + chat
		if err := d.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+room+`'><body>`+reply+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
			t.Fatal(err)
		}
		if channel != 0 {
			waitChannel(t, srv, channel, reply)
		} else {
			waitBox(t, srv, eve.ID, group, reply)
		}
	}

	redirected(g.JID("gophers"), "", &tg.PeerChannel{ChannelID: 630})
	redirected(g.JID("joinchat"), "https://t.me/+AbCdEf123", &tg.PeerChannel{ChannelID: 650})
	// The address keeps the capitals escaped: +\hush\hush7@.
	redirected(g.JID("+HushHush7"), "", &tg.PeerChannel{ChannelID: 660})
	// A basic group's link: its room is -N@.
	redirected(g.JID("joinchat"), "https://t.me/+Read_Circle9", &tg.PeerChat{ChatID: 95})

	// Written as the link has it, the address loses its capitals on the
	// way (Prosody's nodeprep): the error says how to keep them.
	if err := d.SendRaw(ctx, `<presence to='+HushHush7@`+g.Domain+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	lost := g.Next(d, "the answer to the join of +HushHush7@", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && strings.EqualFold(gatewaytest.Bare(s.From), "+HushHush7@"+g.Domain)
	})
	if lost.Type != "error" || lost.Err == nil || lost.Err.Condition != "item-not-found" || !strings.Contains(lost.XML, "capitals") || !strings.Contains(lost.XML, "joinchat@") {
		t.Errorf("join of +HushHush7@ unescaped: want item-not-found saying how to keep the capitals, got %s", lost.XML)
	}

	st := joinAs(g.JID("joinchat"), "https://t.me/+Knock_Knock-1")
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "not-allowed" || !strings.Contains(st.XML, "admins must approve") {
		t.Errorf("join of a group that approves newcomers: want not-allowed saying so, got %s", st.XML)
	}
	if !slices.Contains(srv.ChannelInfo(670).Requests, dora.ID) {
		t.Error("dora's request to join is not on Telegram")
	}
}

// waitChannel waits until a channel on the fake Telegram has a message
// with text.
func waitChannel(t *testing.T, srv *tgfake.Server, channel int64, text string) {
	t.Helper()
	deadline := time.Now().Add(gatewaytest.Timeout)
	for time.Now().Before(deadline) {
		for _, m := range srv.ChannelMessages(channel) {
			if m.Message == text {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("channel %d never got %q", channel, text)
}

// waitBox waits until a message with text in chat is in owner's box on
// the fake Telegram (a basic group's messages are in each member's).
func waitBox(t *testing.T, srv *tgfake.Server, owner int64, chat tg.PeerClass, text string) {
	t.Helper()
	deadline := time.Now().Add(gatewaytest.Timeout)
	for time.Now().Before(deadline) {
		for _, m := range srv.Messages(owner) {
			if m.Message == text && m.PeerID.String() == chat.String() {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d never got %q in %v", owner, text, chat)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestGatewayNameDisco: a client asks disco#info of an address before it
// joins it as a room (Gajim). Telegram has no sign that tells a group's
// public name from a person's username, so the gateway asks the network:
// a stranger's username (grace@, no contact of dora, in none of her
// groups) answers as a contact's, a public channel's name (gophers@) and
// a name nobody holds as a room's. Asked again, the answer is the one
// kept: Telegram is not asked twice.
func TestGatewayNameDisco(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	srv.AddUser(tgfake.User{ID: 2004, FirstName: "Grace", Username: "grace", Phone: "33700000004"})
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Gophers", Username: "gophers", Members: []int64{eve.ID}, Creator: eve.ID})
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	g.WaitRoster(d, "eve on the roster", func(r map[string]gatewaytest.RosterItem) bool { return r[g.JID("2002")].Name == "Eve" })
	ctx := ctxT(t)

	// room reports whether the address answers disco#info as a room.
	room := func(addr string) bool {
		t.Helper()
		st, err := d.IQ(ctx, `<iq type='get' to='`+addr+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if st.Type != "result" {
			t.Fatalf("disco#info of %s: %s", addr, st.XML)
		}
		return strings.Contains(st.XML, `category="conference"`) || strings.Contains(st.XML, `category='conference'`)
	}
	if room(g.JID("grace")) {
		t.Error("a stranger's username answers as a room: a client would join it as one")
	}
	if !room(g.JID("gophers")) {
		t.Error("a public channel's name does not answer as a room")
	}
	if !room(g.JID("nobody-here")) {
		t.Error("a name nobody holds does not answer as a room (the join says it leads nowhere)")
	}
	asked := srv.Requests("contacts.resolveUsername")
	if asked != 3 {
		t.Errorf("Telegram was asked %d times for three names, want 3", asked)
	}
	if room(g.JID("grace")) || !room(g.JID("gophers")) {
		t.Error("the second answers differ from the first")
	}
	if n := srv.Requests("contacts.resolveUsername"); n != asked {
		t.Errorf("asked again: Telegram asked %d more times, want the answers kept", n-asked)
	}
	// A contact is a contact, with no network call.
	if room(g.JID("2002")) {
		t.Error("eve, a contact, answers as a room")
	}
}
