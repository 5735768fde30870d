package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/irc"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A CTCP reply (a NOTICE "\x01VERSION ...\x01", the answer to a query
// the user made from another client or a command after connecting) is
// shown in words from its sender, privately or in a channel; the
// server's own and the user's own stay unshown. Before, all were
// dropped.
func TestCTCPReplyShown(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":bob!b@h NOTICE kit :\x01VERSION irssi v1.4.3\x01")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "CTCP VERSION reply: irssi v1.4.3" || ev.ChatId != "bob" {
		t.Errorf("VERSION reply: %v", ev)
	}
	// A /me as a notice is a /me.
	srv.send(":bot!b@h NOTICE #c :\x01ACTION beeps\x01")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "/me beeps" || ev.ChatId != "#c" {
		t.Errorf("ACTION notice: %v", ev)
	}
	srv.send(":srv NOTICE kit :\x01VERSION ngircd\x01")
	srv.send(":kit!k@h NOTICE bob :\x01PING 1\x01")
	srv.send(":bob!b@h NOTICE #c :\x01PING 1700000000")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "CTCP PING reply: 1700000000" || ev.ChatId != "#c" {
		t.Errorf("PING reply to the channel without its closing \\x01: %v, want it after neither the server's nor the user's own", ev)
	}
}

// CTCP queries to the user (VERSION, TIME, CLIENTINFO; PING in
// TestCTCPFloodAnsweredAtAPace) are answered by the plugin, the version
// naming the gateway, and not shown to the user as text with ^A in it;
// /me goes on working both ways. The user's "/ctcp version" typed in a
// private chat goes to the nick as a CTCP query, not as a message, and
// the answer is shown in words. Before, "/ctcp version" went to the
// nick as the text "/ctcp version".
func TestCTCPBothWays(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":bob!b@h PRIVMSG kit :\x01VERSION\x01")
	srv.got("NOTICE bob :\x01VERSION passerelle " + irc.Version + " (IRC to XMPP gateway)\x01")
	srv.send(":bob!b@h PRIVMSG #c :\x01TIME\x01")
	if got := srv.got("NOTICE bob :\x01TIME "); !strings.HasSuffix(got, " GMT\x01") && !strings.HasSuffix(got, " UTC\x01") {
		t.Errorf("TIME answered %q", got)
	}
	srv.send(":bob!b@h PRIVMSG kit :\x01CLIENTINFO\x01")
	srv.got("NOTICE bob :\x01CLIENTINFO ACTION CLIENTINFO PING TIME VERSION\x01")
	srv.send(":bob!b@h PRIVMSG kit :\x01ACTION waves\x01")
	srv.send(":bob!b@h PRIVMSG kit :marker")
	var shown []string
	evs.NextEvent(func(ev *pb.Event) bool {
		if m := ev.GetMessage(); m != nil {
			shown = append(shown, m.Text)
		}
		return ev.GetMessage().GetText() == "marker"
	})
	if want := []string{"/me waves", "marker"}; !slices.Equal(shown, want) {
		t.Errorf("shown %q, want %q: the queries answered, not shown", shown, want)
	}

	res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "", "/ctcp version"))
	if res.Error != nil || !res.HandledAsCommand || res.MessageId != "" {
		t.Fatalf("/ctcp version: %v, want a command", res)
	}
	if got := srv.got("PRIVMSG bob "); strings.Replace(got, ":", "", 1) != "PRIVMSG bob \x01VERSION\x01" {
		t.Errorf("sent %q, want the CTCP VERSION query", got)
	}
	srv.send(":bob!b@h NOTICE kit :\x01VERSION irssi v1.4.3\x01")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "CTCP VERSION reply: irssi v1.4.3" || ev.ChatId != "bob" {
		t.Errorf("the answer: %v", ev)
	}
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "#c", "", "/ctcp ping 42")); res.Error != nil || !res.HandledAsCommand {
		t.Errorf("/ctcp ping 42 in #c: %v", res)
	}
	srv.got("PRIVMSG #c :\x01PING 42\x01")
	if n := len(srv.sent(0, "PRIVMSG bob :/ctcp")); n > 0 {
		t.Errorf("/ctcp sent to bob as a message")
	}
	for _, bad := range []string{"/ctcp dcc\x01x", "/ctcp action waves"} {
		if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "", bad)); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
			t.Errorf("%q: %v, want BAD_REQUEST", bad, res.Error)
		}
	}
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "", "/me waves back")); res.Error != nil {
		t.Fatal(res.Error)
	}
	srv.got("PRIVMSG bob :\x01ACTION waves back\x01")
}

// The transport's config sets the VERSION answer (ctcp_version), turns
// it off ("off": CLIENTINFO then lists no VERSION), or turns every
// answer off (ctcp_off). Before, the version was fixed and always told.
func TestCTCPConfig(t *testing.T) {
	for _, tc := range []struct {
		config string
		want   []string // the answers, in order
	}{
		{`{"ctcp_version":"Gateway of Example Org"}`, []string{"\x01VERSION Gateway of Example Org\x01", "\x01CLIENTINFO ACTION CLIENTINFO PING TIME VERSION\x01"}},
		{`{"ctcp_version":"off"}`, []string{"\x01CLIENTINFO ACTION CLIENTINFO PING TIME\x01"}},
		{`{"ctcp_off":true}`, nil},
	} {
		t.Run(tc.config, func(t *testing.T) {
			srv := startScripted(t, "", "")
			_, evs, _ := scriptedLogin(t, srv, tc.config, "kit", "")
			srv.send(":bob!b@h PRIVMSG kit :\x01VERSION\x01")
			srv.send(":bob!b@h PRIVMSG kit :\x01CLIENTINFO\x01")
			srv.send(":bob!b@h PRIVMSG kit :marker")
			evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "marker" })
			// A PING after the queries: its PONG comes after any answer.
			srv.send("PING :after")
			srv.wait("the PONG", func() bool {
				return strings.Contains(strings.Join(srv.lines, "\n"), "PONG after") || strings.Contains(strings.Join(srv.lines, "\n"), "PONG :after")
			})
			var got []string
			for _, l := range srv.sent(0, "NOTICE bob :") {
				got = append(got, strings.TrimPrefix(l, "NOTICE bob :"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("answers %q, want %q", got, tc.want)
			}
		})
	}
}

// A file or a chat offered by DCC, which the gateway does not take, is
// said in words from the sender, so that the user knows to ask for a
// link; the rest of DCC (RESUME, ACCEPT) is not shown. Before, every
// DCC was dropped without a word: the sender waited for an answer.
func TestDCCOfferSaid(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "")
	srv.send(":bob!b@h PRIVMSG kit :\x01DCC SEND \"my file.pdf\" 2130706433 5000 12345\x01")
	srv.send(":bob!b@h PRIVMSG kit :\x01DCC RESUME file.pdf 5000 100\x01")
	srv.send(":bob!b@h PRIVMSG kit :\x01DCC CHAT chat 2130706433 5001\x01")
	srv.send(":bob!b@h PRIVMSG kit :\x01DCC SEND photo.jpg 2130706433 5002\x01")
	srv.send(":bob!b@h PRIVMSG kit :marker")
	var shown []string
	evs.NextEvent(func(ev *pb.Event) bool {
		if m := ev.GetMessage(); m != nil {
			if ev.ChatId != "bob" {
				t.Errorf("%q in %s, want bob's chat", m.Text, ev.ChatId)
			}
			shown = append(shown, m.Text)
		}
		return ev.GetMessage().GetText() == "marker"
	})
	want := []string{
		`[offers the file "my file.pdf" (12345 bytes) by DCC, which this gateway does not take: ask for a link instead]`,
		"[asks for a DCC chat, which this gateway does not take: write here instead]",
		`[offers the file "photo.jpg" by DCC, which this gateway does not take: ask for a link instead]`,
		"marker",
	}
	if !slices.Equal(shown, want) {
		t.Errorf("shown %q, want %q", shown, want)
	}
}
