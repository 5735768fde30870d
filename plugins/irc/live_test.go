package irc_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestLive runs against a real IRC network, and only when asked to:
// PASSERELLE_IRC_LIVE_SERVER names the server (README.md lists the other
// variables). It never runs in CI.
func TestLive(t *testing.T) {
	server := os.Getenv("PASSERELLE_IRC_LIVE_SERVER")
	if server == "" || os.Getenv("CI") != "" {
		t.Skip("live test: set PASSERELLE_IRC_LIVE_SERVER (outside CI) to run it against a real IRC network")
	}
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	port := env("PASSERELLE_IRC_LIVE_PORT", "6697")
	channel := env("PASSERELLE_IRC_LIVE_CHANNEL", "#passerelle-test")
	prefix := env("PASSERELLE_IRC_LIVE_NICK", "pssrl")
	nick := fmt.Sprintf("%s%04d", prefix, rand.IntN(10000))
	peerNick := nick + "p"

	// The other side: a plain client of the test's own.
	peer := &ircevent.Connection{Server: server + ":" + port, Nick: peerNick, User: peerNick, RealName: "passerelle live test",
		UseTLS: true, TLSConfig: &tls.Config{ServerName: server, MinVersion: tls.VersionTLS12},
		Log: log.New(io.Discard, "", 0), Timeout: time.Minute, KeepAlive: 2 * time.Minute, QuitMessage: "passerelle live test"}
	got := make(chan ircmsg.Message, 64)
	for _, cmd := range []string{"PRIVMSG", "NICK"} {
		peer.AddCallback(cmd, func(m ircmsg.Message) {
			select {
			case got <- m:
			default:
			}
		})
	}
	if err := peer.Connect(); err != nil {
		t.Fatalf("the test's own client cannot connect to %s: %v", server, err)
	}
	go peer.Loop()
	t.Cleanup(peer.Quit)
	await := func(what string, ok func(ircmsg.Message) bool) {
		t.Helper()
		deadline := time.After(2 * time.Minute)
		for {
			select {
			case m := <-got:
				if ok(m) {
					return
				}
			case <-deadline:
				t.Fatalf("live: the peer never saw %s", what)
			}
		}
	}

	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	fields := map[string]string{"server": server, "port": port, "tls": "on", "nick": nick,
		"sasl_user": os.Getenv("PASSERELLE_IRC_LIVE_SASL_USER"), "sasl_password": os.Getenv("PASSERELLE_IRC_LIVE_SASL_PASSWORD")}
	login := p.Login("", fields)
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		s := ev.GetLoginState().GetState()
		return s == pb.LoginState_LOGIN_STATE_CONNECTED || s == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS
	})
	if st.GetLoginState().State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("live: login: %v", st.GetLoginState())
	}
	t.Logf("live: connected: %s", st.GetLoginState().Message)
	cmds := p.Commands()

	// Private messages both ways.
	if res := cmds.Send(plugintest.SendText(login.LoginId, strings.ToLower(peerNick), "live-1", "hello from passerelle")); res.Error != nil {
		t.Fatalf("live: send: %v", res.Error)
	}
	await("the private message", func(m ircmsg.Message) bool { return m.Command == "PRIVMSG" && m.Params[1] == "hello from passerelle" })
	if err := peer.Privmsg(nick, "hello back"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "hello back" })

	// A channel, a line in it, a nick change, leaving.
	if res := cmds.Send(command(login.LoginId, channel, &pb.JoinChat{})); res.Error != nil {
		t.Fatalf("live: join %s: %v", channel, res.Error)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	// Found by its name (LIST with a mask), unless the server is too busy
	// to list (Solanum's 263: RATE_LIMITED, logged) or the channel is
	// secret.
	name := strings.TrimLeft(strings.ToLower(channel), "#&+!")
	switch res := cmds.Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: name, Limit: 10})); {
	case res.Error.GetCode() == pb.ErrorCode_ERROR_CODE_RATE_LIMITED:
		t.Logf("live: search %q: %s", name, res.Error.Text)
	case res.Error != nil:
		t.Errorf("live: search %q: %v", name, res.Error)
	default:
		t.Logf("live: search %q found %d channels: %v", name, len(res.FoundChats), res.FoundChats)
	}
	if res := cmds.Send(plugintest.SendText(login.LoginId, strings.ToLower(channel), "live-2", "passerelle live test, leaving at once")); res.Error != nil {
		t.Fatalf("live: say in %s: %v", channel, res.Error)
	}
	renamed := nick + "x"
	if res := cmds.Send(command(login.LoginId, strings.ToLower(channel), &pb.SetNick{Nick: renamed})); res.Error != nil {
		t.Fatalf("live: set nick: %v", res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED })
	if m := ev.GetMember().Member; !m.IsSelf || m.Nick != renamed {
		t.Errorf("live: rename event %v", ev)
	}
	if res := cmds.Send(plugintest.Act(login.LoginId, strings.ToLower(channel), "", &pb.LeaveChat{})); res.Error != nil {
		t.Errorf("live: leave: %v", res.Error)
	}
	t.Logf("live: done as %s on %s:%s", renamed, server, port)
}
