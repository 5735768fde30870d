package irc_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// awayWatch lets c ask the server for a nick's away message
// (awayOf.is).
type awayWatch struct {
	c    *client
	ends chan string // each WHOIS's away message, "" = not away
}

func watchAway(c *client) *awayWatch {
	w := &awayWatch{c: c, ends: make(chan string, 16)}
	var mu sync.Mutex
	away := ""
	c.conn.AddCallback("301", func(m ircmsg.Message) { // RPL_AWAY
		mu.Lock()
		away = m.Params[len(m.Params)-1]
		mu.Unlock()
	})
	c.conn.AddCallback("318", func(ircmsg.Message) { // RPL_ENDOFWHOIS
		mu.Lock()
		select {
		case w.ends <- away:
		default:
		}
		away = ""
		mu.Unlock()
	})
	return w
}

// is asks for nick's away message until it is want ("" = not away),
// failing the test after plugintest.Timeout.
func (w *awayWatch) is(t *testing.T, nick, want string) {
	t.Helper()
	deadline := time.Now().Add(plugintest.Timeout)
	got := ""
	for time.Now().Before(deadline) {
		if err := w.c.conn.Send("WHOIS", nick); err != nil {
			t.Fatal(err)
		}
		select {
		case got = <-w.ends:
			if got == want {
				return
			}
		case <-time.After(5 * time.Second): // asked again: a WHOIS is cheap
		}
	}
	t.Fatalf("WHOIS %s: away %q, want %q", nick, got, want)
}

// The user's XMPP availability is their away state on IRC: away, extended
// away and do not disturb set it with the status (or a word for it), one
// line; available clears it; offline (no XMPP client left) is away too.
// A reconnection sets it again: the server forgets it with the
// connection. Before, nothing of it reached IRC.
func TestAwayFromXMPP(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "kit", ""))
	p.Connect(login.LoginId, login.SavedState)
	connected := func() {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	}
	connected()
	dave := watchAway(newClient(t, s, "dave"))
	cmds := p.Commands()
	set := func(show pb.PresenceShow, status string) {
		t.Helper()
		if res := cmds.Send(command(login.LoginId, "", &pb.SetPresence{Presence: &pb.Presence{Show: show, Status: status}})); res.Error != nil {
			t.Fatalf("SetPresence %v %q: %v", show, status, res.Error)
		}
	}
	set(pb.PresenceShow_PRESENCE_SHOW_AWAY, "at lunch")
	dave.is(t, "kit", "at lunch")
	set(pb.PresenceShow_PRESENCE_SHOW_AVAILABLE, "")
	dave.is(t, "kit", "")
	set(pb.PresenceShow_PRESENCE_SHOW_DND, "")
	dave.is(t, "kit", "Busy")
	set(pb.PresenceShow_PRESENCE_SHOW_XA, "gone\nfishing")
	dave.is(t, "kit", "gone fishing")
	set(pb.PresenceShow_PRESENCE_SHOW_OFFLINE, "")
	dave.is(t, "kit", "Offline")

	// Set again at the next connection; one set while disconnected
	// waits for it.
	s.stop()
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	set(pb.PresenceShow_PRESENCE_SHOW_AWAY, "")
	s.start()
	connected()
	watchAway(newClient(t, s, "eve")).is(t, "kit", "Away")
}

// Others' away states, where the server has IRCv3 away-notify (asked
// for): someone's AWAY with a message is their nick's presence away with
// that status, one without is available again; the user's own is no
// one's, nor is a server's (no nick, no ID); offline once they quit or
// the connection drops (else they would stay shown away for good).
// Before, away-notify was not asked for and nothing was shown.
func TestAwayNotify(t *testing.T) {
	srv := startScripted(t, "away-notify", "")
	_, evs, login := scriptedLogin(t, srv, "", "kit", "#c")
	if req := srv.got("CAP REQ"); !strings.Contains(req, "away-notify") {
		t.Errorf("asked for %q, want away-notify among the caps", req)
	}
	presence := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
	}
	srv.send(":kit!k@h AWAY :my own")
	srv.send(":services.example!s@h AWAY :no nick") // a server's name: no one
	srv.send(":bob!b@h AWAY :\x02at\x02 lunch")
	ev := presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "bob" || ev.ChatId != "bob" ||
		p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_AWAY || p.GetStatus() != "at lunch" || ev.LoginId != login.LoginId {
		t.Errorf("bob away: %v", ev)
	}
	srv.send(":bob!b@h AWAY")
	ev = presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "bob" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_AVAILABLE || p.GetStatus() != "" {
		t.Errorf("bob back: %v", ev)
	}
	// Offline once they quit (someone never shown is not told of), or
	// once the connection drops.
	srv.send(":dan!d@h QUIT :bye")
	srv.send(":bob!b@h QUIT :bye")
	ev = presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "bob" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE {
		t.Errorf("bob quit: %v", ev)
	}
	srv.send(":eve!e@h AWAY :afk")
	presence()
	srv.hangUp()
	ev = presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "eve" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE {
		t.Errorf("eve at the drop: %v", ev)
	}
}

// The whole way, through Prosody and the gateway: the user's XMPP
// presence, once they let the gateway see it, is their away state on
// IRC (the gateway forwards it: the plugin has set_presence), and
// available again clears it.
func TestEndToEndAway(t *testing.T) {
	s := startNgircd(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: plugintest.BuildBinary(t, pluginPkg), Name: "irc"})
	alice := g.User("alice")
	g.WaitReady(alice)
	ircLogin(t, g, alice, s.port, "")
	dave := watchAway(newClient(t, s, "dave"))
	send := func(xml string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
		defer cancel()
		if err := alice.SendRaw(ctx, xml); err != nil {
			t.Fatal(err)
		}
	}
	send(`<presence type='subscribed' to='` + g.Domain + `'/>`)
	send(`<presence><show>away</show><status>at lunch</status></presence>`)
	dave.is(t, "alice", "at lunch")
	send(`<presence/>`)
	dave.is(t, "alice", "")
}

// Someone whose away state away-notify gave, leaving the last channel
// the user shares with them without quitting, is offline: the server
// tells no more of them, and they stayed shown away for good. Someone
// still in another channel of the user's keeps their presence; the
// user leaving a channel ends the presences of those it alone shared.
func TestAwayNotifyEndsWithLastChannel(t *testing.T) {
	srv := startScripted(t, "away-notify", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c,#d")
	presence := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
	}
	for _, l := range []string{":bob!b@h JOIN #c", ":bob!b@h JOIN #d", ":eve!e@h JOIN #d"} {
		srv.send(l)
	}
	srv.send(":bob!b@h AWAY :lunch")
	presence()
	srv.send(":eve!e@h AWAY :afk")
	presence()
	srv.send(":bob!b@h PART #c")
	srv.send(":eve!e@h AWAY :still afk") // bob is still in #d: his presence stays
	if ev := presence(); ev.Sender.GetUserId() != "eve" {
		t.Errorf("after bob left #c: %v, want eve's presence, bob's kept", ev)
	}
	srv.send(":op!o@h KICK #d bob :out")
	ev := presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "bob" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE {
		t.Errorf("bob out of the last channel: %v, want offline", ev)
	}
	srv.send(":kit!k@h PART #d")
	ev = presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "eve" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE {
		t.Errorf("eve after the user left #d: %v, want offline", ev)
	}
}

// Without away-notify (ngircd), the away state of someone the user
// writes to is the server's 301 answering the message: their presence,
// away with its message (no WHOIS). A message the server answers
// without one makes them available again.
func TestAwayFromRplAway(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	marked := make(chan string, 2) // the server took dave's AWAY: 306, or 305 for back
	for _, code := range []string{"305", "306"} {
		dave.conn.AddCallback(code, func(m ircmsg.Message) { marked <- m.Command })
	}
	took := func() {
		t.Helper()
		select {
		case <-marked:
		case <-time.After(plugintest.Timeout):
			t.Fatal("ngircd did not answer dave's AWAY")
		}
	}
	p, evs, login := loggedIn(t, s, "", "kim", "")
	if err := dave.conn.Send("AWAY", "at lunch"); err != nil {
		t.Fatal(err)
	}
	took()
	presence := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
	}
	send := func(text string) {
		t.Helper()
		if res := p.Commands().Send(plugintest.Act(login.LoginId, "dave", "", &pb.SendMessage{Text: text})); res.Error != nil {
			t.Fatalf("send %q: %v", text, res.Error)
		}
		dave.await("PRIVMSG", text)
	}
	send("hello")
	ev := presence()
	if p := ev.GetPresence().GetPresence(); ev.ChatId != "dave" || ev.Sender.GetUserId() != "dave" ||
		p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_AWAY || p.GetStatus() != "at lunch" {
		t.Fatalf("after writing to dave: %v, want dave away, at lunch", ev)
	}
	if err := dave.conn.Send("AWAY"); err != nil {
		t.Fatal(err)
	}
	took()
	send("back?")
	ev = presence()
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "dave" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_AVAILABLE {
		t.Errorf("after writing to dave, back: %v, want dave available", ev)
	}
}

// away-notify tells of changes only: at joining, the plugin asks who
// is away already (WHO #chan, as the spec has clients do), and a member
// the reply flags gone (G) is shown away; someone not in the channel
// is not, nor is a member the server left out of the WHO. Before, no
// WHO went, and a member away when the user joined showed as here
// until their state changed again.
func TestAwayAtJoin(t *testing.T) {
	srv := startScripted(t, "away-notify", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.got("WHO #c")
	srv.send(":srv 352 kit #c z h srv zed G :0 Zed") // in no channel of the user's
	srv.send(":srv 352 kit #c k h srv kit G :0 Kit") // the user
	srv.send(":srv 352 kit #c o h srv op G@ :0 Op")  // away
	srv.send(":srv 315 kit #c :End of /WHO list.")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "op" || p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_AWAY {
		t.Errorf("the first presence: %v, want op away", ev)
	}
	// Their away-notify then says more.
	srv.send(":op!o@h AWAY :at lunch")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
	if p := ev.GetPresence().GetPresence(); ev.Sender.GetUserId() != "op" || p.GetStatus() != "at lunch" {
		t.Errorf("op's AWAY: %v", ev)
	}
}
