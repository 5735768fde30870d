package irc_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// ircUser is an IRC user's view of the end-to-end test: what the
// gateway's user (alice) says to them arrives here.
type ircUser struct {
	*client
}

// joinRoom sends a MUC join of room as nick (with no history) and
// returns the answer: the user's self-presence, or an error presence.
func joinRoom(g *gatewaytest.Gateway, c *xmpptest.Client, room, nick string) xmpptest.Stanza {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := c.SendRaw(ctx, `<presence to='`+gatewaytest.Escape(room+"/"+nick)+`'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`); err != nil {
		g.T.Fatal(err)
	}
	return g.Next(c, "the answer to the join of "+room, func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room &&
			(s.Type == "error" || strings.Contains(s.XML, `code="110"`) || strings.Contains(s.XML, `code='110'`))
	})
}

// groupchat waits for a groupchat message in room from nick with body.
func groupchat(g *gatewaytest.Gateway, c *xmpptest.Client, room, nick, body string) xmpptest.Stanza {
	g.T.Helper()
	return g.Next(c, fmt.Sprintf("%q from %s in %s", body, nick, room), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && s.From == room+"/"+nick && s.Body == body
	})
}

// The whole way: an XMPP user logs in to IRC through the gateway (a real
// Prosody, the plugin binary, a real ngircd), chats privately both ways,
// joins a channel from XMPP (a MUC join that becomes JoinChat; through the
// login form's channel list where the gateway has no JoinChat), talks in
// it both ways, sees a member's nick change and changes their own, and
// the gateway restarts in the middle: nothing is lost or repeated.
func TestEndToEnd(t *testing.T) {
	s := startNgircd(t)
	dave := ircUser{newClient(t, s, "dave")}
	dave.join("#form")
	dave.join("#e2e")

	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc",
		PluginConfig: `reconnect_min = "200ms"` + "\n" + `reconnect_max = "1s"`})
	alice := g.User("alice")
	g.WaitReady(alice)

	ircLogin(t, g, alice, s.port, "#form")
	for m := dave.await("JOIN", ""); m.Nick() != "alice"; m = dave.await("JOIN", "") {
	}

	// Private messages both ways.
	daveJID := g.JID("dave")
	if err := dave.conn.Privmsg("alice", "hi alice"); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, daveJID); got.Body != "hi alice" || got.Type == "error" {
		t.Fatalf("private message: %s", got.XML)
	}
	g.SendChat(alice, daveJID, "hi dave")
	dave.await("PRIVMSG", "hi dave")
	// IRC's formatting codes as XEP-0393 styling, a Latin-1 line read as
	// such (either broke the stream to the server, or the plugin's).
	if err := dave.conn.Privmsg("alice", "\x02bold\x02 \x0304caf\xe9\x03"); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, daveJID); got.Body != "*bold* café" {
		t.Fatalf("formatted message: %s", got.XML)
	}

	// A channel joined from XMPP.
	room := g.JID("#e2e")
	self := joinRoom(g, alice, room, "alice")
	if self.Type == "error" {
		if self.Err == nil || self.Err.Condition != "item-not-found" {
			t.Fatalf("join of %s: %s", room, self.XML)
		}
		// The gateway does not join rooms by ID yet (contract v2's
		// JoinChat, host side): use the channel of the login form.
		t.Logf("the gateway has no JoinChat: joining %s refused (%s); using #form, joined at login", room, self.Err.Text)
		room = g.JID("#form")
		if self = joinRoom(g, alice, room, "alice"); self.Type == "error" {
			t.Fatalf("join of %s: %s", room, self.XML)
		}
	} else {
		for m := dave.await("JOIN", ""); m.Nick() != "alice" || m.Params[0] != "#e2e"; m = dave.await("JOIN", "") {
		}
	}
	// The nick the gateway gave the user in the room (the IRC nick where
	// it reads the user's own member).
	_, nick, _ := strings.Cut(self.From, "/")
	t.Logf("the user's nick in %s: %q", room, nick)
	channel := strings.TrimSuffix(room, "@"+g.Domain)

	// The channel both ways.
	if err := dave.conn.Privmsg(channel, "hello room"); err != nil {
		t.Fatal(err)
	}
	groupchat(g, alice, room, "dave", "hello room")
	sendGroupchat(g, alice, room, "hello dave")
	awaitIn(dave.client, channel, "hello dave")
	groupchat(g, alice, room, nick, "hello dave") // the reflection

	// A member's nick change: the same occupant, renamed.
	dave.conn.SetNick("dave2")
	g.Next(alice, "dave's nick change", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/dave" && s.Type == "unavailable" && strings.Contains(s.XML, "303")
	})
	if err := dave.conn.Privmsg(channel, "renamed"); err != nil {
		t.Fatal(err)
	}
	groupchat(g, alice, room, "dave2", "renamed")

	// The gateway restarts: the plugin reconnects and rejoins, the user
	// joins the room again; what was said before does not come again.
	connected := func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == g.Domain && strings.Contains(s.XML, "connected to 127.0.0.1")
	}
	g.Next(alice, "the login's connected status", connected)
	g.Restart()
	g.WaitReady(alice)
	for m := dave.await("JOIN", ""); m.Nick() != "alice" || !strings.EqualFold(m.Params[0], channel); m = dave.await("JOIN", "") {
	}
	// Connected once its channels are joined, and so their rooms known.
	g.Next(alice, "the login's connected status after the restart", connected)
	if ans := joinRoom(g, alice, room, "alice"); ans.Type == "error" {
		t.Fatalf("join of %s after the restart: %s", room, ans.XML)
	}
	if err := dave.conn.Privmsg(channel, "after the restart"); err != nil {
		t.Fatal(err)
	}
	groupchat(g, alice, room, "dave2", "after the restart")
	if err := dave.conn.Privmsg("alice", "still there?"); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, g.JID("dave2")); got.Body != "still there?" {
		t.Fatalf("private message after the restart: %s", got.XML)
	}
	g.SendChat(alice, g.JID("dave2"), "yes")
	dave.await("PRIVMSG", "yes")
	sendGroupchat(g, alice, room, "and in the room")
	awaitIn(dave.client, channel, "and in the room")

	// The user's own nick, changed from XMPP (where the gateway has
	// SetNick): a nick change of the user's occupant, and on IRC.
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.SendRaw(ctx, `<presence to='`+gatewaytest.Escape(room+"/alicia")+`'/>`); err != nil {
		t.Fatal(err)
	}
	// The gateway has set_nick and the plugin SetNick: the change is
	// answered (before, a 5 s wait taken as "no SetNick" let a slow
	// machine skip the rest).
	ans := g.Next(alice, "the answer to the nick change", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && (s.Type == "error" || strings.Contains(s.XML, "303"))
	})
	if ans.Type == "error" {
		t.Fatalf("nick change refused: %s", ans.XML)
	}
	dave.await("NICK", "alicia")
	ans = g.Next(alice, "the user's new nick", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room+"/alicia" && s.Type != "unavailable"
	})
	if !strings.Contains(ans.XML, "110") {
		t.Errorf("presence of the new nick: %s", ans.XML)
	}
	sendGroupchat(g, alice, room, "as alicia")
	if m := awaitIn(dave.client, channel, "as alicia"); m.Nick() != "alicia" {
		t.Errorf("the message came from %s", m.Nick())
	}

	// Nothing came twice.
	time.Sleep(time.Second)
	seen := map[string]int{}
	for _, st := range alice.Pending() {
		if st.Name == "message" && st.Body != "" {
			seen[st.From+" "+st.Body]++
		}
	}
	for k, n := range seen {
		if n > 1 || strings.Contains(k, "hello room") || strings.Contains(k, "hi alice") {
			t.Errorf("came again after being read: %q (%d times)", k, n)
		}
	}
}

func sendGroupchat(g *gatewaytest.Gateway, c *xmpptest.Client, room, body string) {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	id := c.NewID()
	if err := c.SendRaw(ctx, `<message type='groupchat' id='`+id+`' to='`+gatewaytest.Escape(room)+`'><body>`+gatewaytest.Escape(body)+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		g.T.Fatal(err)
	}
}

// awaitIn waits for a PRIVMSG with text in channel.
func awaitIn(c *client, channel, text string) ircmsg.Message {
	c.t.Helper()
	for {
		m := c.await("PRIVMSG", text)
		if strings.EqualFold(m.Params[0], channel) {
			return m
		}
	}
}

// ircLogin logs user in through the gateway's login command, as nick
// alice on the IRC server at port (loopback, no TLS), joined to channels.
func ircLogin(t *testing.T, g *gatewaytest.Gateway, user *xmpptest.Client, port int, channels string) {
	t.Helper()
	ircLoginAs(t, g, user, port, "alice", channels)
}

// ircLoginAs is ircLogin as nick.
func ircLoginAs(t *testing.T, g *gatewaytest.Gateway, user *xmpptest.Client, port int, nick, channels string) {
	t.Helper()
	r, st := g.Command(user, "login", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		t.Fatalf("login command: %s", st.XML)
	}
	r, st = g.Command(user, "login", r.Command.SessionID, "next", map[string]string{
		"server": "127.0.0.1", "port": strconv.Itoa(port), "tls": "0", "nick": nick, "channels": channels})
	if st.Type != "result" || r.Command.Status != "completed" {
		t.Fatalf("login: %s", st.XML)
	}
	for _, n := range r.Command.Notes {
		if n.Type == "error" {
			t.Fatalf("login as %s: %s", nick, n.Text)
		}
	}
}
