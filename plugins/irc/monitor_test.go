package irc_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// presenceOf checks that ev is the presence show of who.
func presenceOf(t *testing.T, ev *pb.Event, who string, show pb.PresenceShow) {
	t.Helper()
	if ev.ChatId != who || ev.GetPresence().GetPresence().GetShow() != show {
		t.Errorf("presence %v; want %s %v", ev, who, show)
	}
}

// The nicks of the user's one-to-one chats are watched with MONITOR, up
// to the server's limit (MONITOR=2): a new one past it takes the
// oldest's place; online shows them available, offline offline; one
// who leaves the last channel shared with the user stays online, one
// who renamed is watched by their new nick, not offline by their old; at a
// reconnection the newest are watched again. Before, MONITOR was never
// sent, and no presence came of a contact outside the user's channels.
func TestMonitorContacts(t *testing.T) {
	srv := startScripted(t, "server-time", "")
	srv.isupport = "MONITOR=2"
	p, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"20ms","reconnect_max":"50ms"}`, "kit", "#Room")
	presence := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
	}
	cmds := p.Commands()
	send := func(chat, text string) {
		t.Helper()
		if res := cmds.Send(plugintest.SendText(login.LoginId, chat, "", text)); res.Error != nil {
			t.Fatalf("send to %s: %v", chat, res.Error)
		}
	}

	srv.send(":bob!b@h PRIVMSG kit :hi")
	srv.got("MONITOR + bob")
	srv.send(":srv 730 kit :bob!b@h")
	presenceOf(t, presence(), "bob", pb.PresenceShow_PRESENCE_SHOW_AVAILABLE)
	srv.send(":srv 730 kit :bob!b@h") // said again: nothing new
	send("carol", "hello")
	srv.got("MONITOR + carol")
	srv.send(":srv 731 kit :carol")
	presenceOf(t, presence(), "carol", pb.PresenceShow_PRESENCE_SHOW_OFFLINE)

	from := len(srv.sent(0, ""))
	send("dave", "hey") // the list is full: bob gives his place
	srv.got("MONITOR + dave")
	if got := srv.sent(from, "MONITOR"); len(got) != 2 || got[0] != "MONITOR - bob" || got[1] != "MONITOR + dave" {
		t.Errorf("past the limit: %q, want bob's place to dave", got)
	}
	srv.send(":srv 731 kit :bob") // no longer watched: nothing
	srv.send(":srv 730 kit :carol!c@h")
	presenceOf(t, presence(), "carol", pb.PresenceShow_PRESENCE_SHOW_AVAILABLE)

	// Carol joins and leaves the user's channel: still online.
	srv.send(":carol!c@h JOIN #Room")
	srv.send(":carol!c@h PART #Room")
	srv.send(":eve!e@h AWAY :afk")
	presenceOf(t, presence(), "eve", pb.PresenceShow_PRESENCE_SHOW_AWAY)

	// Dave renames: the server's offline of his old nick is not his
	// (his chat goes on with him under the new one, watched instead).
	srv.send(":dave!d@h JOIN #Room")
	srv.send(":srv 730 kit :dave!d@h")
	presenceOf(t, presence(), "dave", pb.PresenceShow_PRESENCE_SHOW_AVAILABLE)
	from = len(srv.sent(0, ""))
	srv.send(":dave!d@h NICK dave_")
	srv.send(":srv 731 kit :dave")
	srv.got("MONITOR + dave_")
	if got := srv.sent(from, "MONITOR"); len(got) != 2 || got[0] != "MONITOR - dave" || got[1] != "MONITOR + dave_" {
		t.Errorf("at a rename: %q, want dave's place to dave_", got)
	}
	srv.send(":srv 730 kit :dave_!d@h") // shown already
	srv.send(":eve!e@h AWAY :back soon")
	presenceOf(t, presence(), "eve", pb.PresenceShow_PRESENCE_SHOW_AWAY)

	// A reconnection watches the newest two again.
	srv.hangUp()
	srv.got("MONITOR + carol,dave_")
}

// WATCH where the server offers it instead of MONITOR; neither where it
// offers none.
func TestWatchContacts(t *testing.T) {
	t.Run("WATCH", func(t *testing.T) {
		srv := startScripted(t, "", "")
		srv.isupport = "WATCH=128"
		_, evs, _ := scriptedLogin(t, srv, "", "kit", "")
		presence := func() *pb.Event {
			t.Helper()
			return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetPresence() != nil })
		}
		srv.send(":bob!b@h PRIVMSG kit :hi")
		srv.got("WATCH +bob")
		srv.send(":srv 604 kit bob b h 0 :is online")
		presenceOf(t, presence(), "bob", pb.PresenceShow_PRESENCE_SHOW_AVAILABLE)
		srv.send(":srv 601 kit bob b h 0 :logged offline")
		presenceOf(t, presence(), "bob", pb.PresenceShow_PRESENCE_SHOW_OFFLINE)
		srv.send(":srv 600 kit bob b h 0 :logged online")
		presenceOf(t, presence(), "bob", pb.PresenceShow_PRESENCE_SHOW_AVAILABLE)
	})
	t.Run("none", func(t *testing.T) {
		srv := startScripted(t, "", "")
		scriptedLogin(t, srv, "", "kit", "")
		srv.send(":bob!b@h PRIVMSG kit :hi")
		srv.sync()
		if got := append(srv.sent(0, "MONITOR"), srv.sent(0, "WATCH")...); len(got) != 0 {
			t.Errorf("sent to a server without MONITOR or WATCH: %q", got)
		}
	})
}

// Private messages from many nicks at once (a spam wave) watch their
// nicks at the user's pace only (throttle 0.01: the burst of 5 lines,
// then none in the test): with MONITOR=1 each new contact past the first
// is two lines, and the server ends a connection that floods it. Before,
// 20 messages sent 39 MONITOR lines at once.
func TestMonitorPaced(t *testing.T) {
	srv := startScripted(t, "server-time", "")
	srv.isupport = "MONITOR=1"
	f := srv.fields("kit")
	f["throttle"] = "0.01"
	loginConnected(t, nil, f)

	from := len(srv.sent(0, ""))
	for i := range 20 {
		srv.send(":n%d!u@h PRIVMSG kit :buy now", i)
	}
	srv.sync()
	got := srv.sent(from, "MONITOR")
	if len(got) == 0 || got[0] != "MONITOR + n0" || len(got) > 2*5 {
		t.Errorf("MONITOR lines for 20 new contacts at once: %d %q; want at most 10 (the burst), the first n0's", len(got), got)
	}
}
