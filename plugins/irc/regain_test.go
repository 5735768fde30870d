package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A login whose nick was taken at connecting (its ghost), with a
// NickServ password, asks NickServ for it back once: REGAIN, or where
// NickServ has none, GHOST and then NICK once the ghost is gone. The
// nick is the login's again at once. Before, the login waited for
// irc-go's NICK at its keepalive (every 2 minutes), which services
// keeping the ghost refused every time.
func TestNickRegained(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noRegain bool
		want     []string
	}{
		{"REGAIN", false, []string{"PRIVMSG NickServ :REGAIN kit s3cret"}},
		{"GHOST", true, []string{"PRIVMSG NickServ :REGAIN kit s3cret", "PRIVMSG NickServ :GHOST kit s3cret", "NICK kit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startScripted(t, "", "")
			srv.mu.Lock()
			srv.nickserv, srv.noRegain, srv.nicksInUse = "s3cret", tc.noRegain, map[string]bool{"kit": true}
			srv.mu.Unlock()
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
			f := srv.fields("kit")
			f["nickserv_password"] = "s3cret"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			srv.wait("the nick kit back", func() bool { return srv.nick == "kit" })
			srv.mu.Lock()
			lines := slices.Clone(srv.lines)
			srv.mu.Unlock()
			i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "PRIVMSG NickServ :REGAIN") })
			if i < 0 {
				t.Fatalf("no REGAIN sent: %q", lines)
			}
			var got []string
			for _, l := range lines[i:] {
				if strings.HasPrefix(l, "NICK ") || strings.HasPrefix(l, "PRIVMSG NickServ :REGAIN") || strings.HasPrefix(l, "PRIVMSG NickServ :GHOST") {
					got = append(got, l)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("asked the nick back with %q; want %q", got, tc.want)
			}
		})
	}
}

// The user's nick changed on the server, not by the plugin (services
// renaming an unidentified registered nick to Guest42, another client
// of the user's bouncer), is not asked back: irc-go's NICK for the
// login's nick at each keepalive PING stops on that connection, and a
// reconnection registers with the login's nick again. A nick the server
// gave at connecting (the login's was in use: its ghost) is still asked
// back at the keepalive. Before, every keepalive (2 minutes) sent NICK
// kit, which services renamed again: a rename in every channel each
// time, and a nick the user chose elsewhere undone.
func TestNickChangedElsewhereNotAskedBack(t *testing.T) {
	const config = `{"keepalive": "1s", "reconnect_min": "10ms", "reconnect_max": "20ms"}`
	// linesFrom counts, under srv's lock (its wait's condition), the
	// lines from the from-th on that start with prefix.
	linesFrom := func(srv *scripted, from int, prefix string) int {
		n := 0
		for _, l := range srv.lines[from:] {
			if strings.HasPrefix(l, prefix) {
				n++
			}
		}
		return n
	}
	t.Run("renamed", func(t *testing.T) {
		srv := startScripted(t, "", "")
		_, evs, _ := scriptedLogin(t, srv, config, "kit", "#room")
		srv.mu.Lock()
		srv.nick = "Guest42"
		srv.mu.Unlock()
		srv.send(":kit!u@h NICK Guest42")
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED && ev.GetMember().GetMember().GetNick() == "Guest42"
		})
		srv.mu.Lock()
		from := len(srv.lines)
		srv.mu.Unlock()
		// irc-go's NICK goes right after its keepalive PING: two PINGs
		// span the first's.
		srv.wait("two keepalive PINGs", func() bool { return linesFrom(srv, from, "PING KeepAlive-") >= 2 })
		if nicks := srv.sent(from, "NICK kit"); len(nicks) > 0 {
			t.Errorf("after the rename to Guest42 the plugin sent %q; want the nick not asked back", nicks)
		}
		srv.mu.Lock()
		from = len(srv.lines)
		srv.mu.Unlock()
		srv.hangUp()
		srv.wait("the reconnection's NICK", func() bool { return linesFrom(srv, from, "NICK ") > 0 })
		if nick := srv.sent(from, "NICK ")[0]; nick != "NICK kit" {
			t.Errorf("the reconnection registered with %q; want the login's nick, NICK kit", nick)
		}
	})
	t.Run("ghost", func(t *testing.T) {
		srv := startScripted(t, "", "")
		srv.mu.Lock()
		srv.nicksInUse = map[string]bool{"kit": true}
		srv.mu.Unlock()
		scriptedLogin(t, srv, config, "kit", "#room")
		srv.mu.Lock()
		delete(srv.nicksInUse, "kit") // the ghost timed out
		srv.mu.Unlock()
		srv.wait("the nick kit back", func() bool { return srv.nick == "kit" })
	})
}
