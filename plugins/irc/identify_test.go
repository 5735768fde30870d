package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// connectAsync is p.Connect in the background: the plugin's Connect
// returns once the login's channels are joined, which here waits for
// what the test does next. Its error comes on the channel.
func connectAsync(p *plugintest.Plugin, login *pb.CompleteStep) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := p.CallContext()
		defer cancel()
		_, err := p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: login.LoginId, UserJid: plugintest.UserJID,
			SavedState: login.SavedState, LoginDir: p.LoginDir()})
		done <- err
	}()
	return done
}

// refusedReg is the scripted server's refusal of #reg to a nick not
// identified.
const refusedReg = "477 :Cannot join channel (+r) - you need to be identified with services"

// A channel of the login for registered nicks only, refused at the
// connection of a login that does not identify by itself, goes (its
// room removed, with the server's words and what to do) but stays the
// login's: once the user identifies with NickServ from XMPP, it is
// joined again. Before, the refusal took it off the login's list for
// good, and identifying changed nothing.
func TestRegisteredOnlyChannelAfterIdentifying(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.nickserv = "s3cret"
	srv.refuseJoin = map[string]string{"#reg": refusedReg}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["channels"] = "#ok,#reg"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	var saved string
	var removed *pb.Event
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetSavedState(); st != nil {
			saved = string(st.SavedState)
		}
		if ev.GetChatRemoved() != nil {
			removed = ev
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if r := removed.GetChatRemoved(); removed.GetChatId() != "#reg" || !strings.Contains(r.GetText(), "you need to be identified with services") ||
		!strings.Contains(r.GetText(), "IDENTIFY") {
		t.Errorf("refused at connecting: %v; want #reg removed, with the server's words and how to identify", removed)
	}
	if saved != "" && !strings.Contains(saved, "#reg") {
		t.Errorf("saved state %s: #reg left the login's channels", saved)
	}

	srv.mu.Lock()
	srv.refuseJoin = nil // services will identify the nick
	n := len(srv.lines)
	srv.mu.Unlock()
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "nickserv", "", "IDENTIFY s3cret")); res.Error != nil {
		t.Fatalf("identify: %v", res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil || ev.GetSavedState() != nil })
	if ev.GetChat() == nil || ev.ChatId != "#reg" {
		t.Errorf("after identifying: %v; want #reg joined", ev)
	}
	if joins := srv.sent(n, "JOIN "); len(joins) != 1 || joins[0] != "JOIN #reg" {
		t.Errorf("JOINs after identifying: %q, want #reg's alone", joins)
	}
}

// slowServicesLogin is a login with a NickServ password to a scripted
// server whose services never answer its IDENTIFY and whose #reg takes
// identified nicks only (477), the plugin waiting identifyWait for the
// identification; channels are the login's.
func slowServicesLogin(t *testing.T, identifyWait, channels string) (*scripted, *plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.nickserv, srv.nickservSilent = "s3cret", true
	srv.refuseJoin = map[string]string{"#reg": refusedReg}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"identify_wait":"`+identifyWait+`"}`))
	evs := p.Events()
	f := srv.fields("kit")
	f["nickserv_password"] = "s3cret"
	if channels != "" {
		f["channels"] = channels
	}
	return srv, p, evs, p.Login("", f)
}

// A channel joined from XMPP while the login's NickServ identification
// is under way (services slow to answer) is refused for registered
// nicks only (477): the join waits for the identification, then is
// tried again and succeeds. Before, the join failed at once.
func TestJoinChatWaitsForIdentification(t *testing.T) {
	srv, p, evs, login := slowServicesLogin(t, "10m", "")
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	srv.got("PRIVMSG NickServ :IDENTIFY s3cret")

	done := make(chan *pb.CommandResult, 1)
	go func() { done <- p.Commands().Send(command(login.LoginId, "#reg", &pb.JoinChat{})) }()
	srv.wait("the refusal of #reg", func() bool { return srv.refused == 1 })
	srv.mu.Lock()
	srv.refuseJoin = nil
	srv.mu.Unlock()
	srv.send(":srv 900 kit kit!u@h kit :You are now logged in as kit")
	if res := <-done; res.Error != nil {
		t.Fatalf("join while identifying: %v; want it joined once identified", res.Error)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == "#reg" })
}

// A login whose NickServ identification services never confirm (a
// wrong password, services down) tries its channel for registered nicks
// only once more identify_wait after its IDENTIFY; the refusal then
// stands, saying so, and the channel stays the login's, joined again
// when the nick is identified later (here, services setting +r).
// Before, the second refusal took the channel off the login's list.
func TestRegisteredOnlyChannelIdentifiedLate(t *testing.T) {
	srv, p, evs, login := slowServicesLogin(t, "500ms", "#reg")
	connected := connectAsync(p, login)
	var saved string
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetSavedState(); st != nil {
			saved = string(st.SavedState)
		}
		return ev.GetChatRemoved() != nil
	})
	if r := ev.GetChatRemoved(); ev.ChatId != "#reg" || !strings.Contains(r.Text, "you need to be identified with services") ||
		!strings.Contains(r.Text, "NickServ password") {
		t.Errorf("refused: %v; want #reg removed, with the server's words, asking about the NickServ password", ev)
	}
	if saved != "" && !strings.Contains(saved, "#reg") {
		t.Errorf("saved state %s: #reg left the login's channels", saved)
	}
	srv.mu.Lock()
	srv.refuseJoin = nil
	srv.mu.Unlock()
	srv.send(":NickServ!NickServ@services. MODE kit :+r")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == "#reg" })
	if err := <-connected; err != nil {
		t.Errorf("connect: %v", err)
	}
}

// ngircd refuses a channel for registered users only (+R) with 471,
// which elsewhere says the channel is full: a join from XMPP is
// registration-required (LOGIN_REQUIRED), with the server's words and
// what to do. Before, it was UNAVAILABLE, "the channel is full".
func TestRegisteredOnlyChannelOnNgircd(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#reg")
	if err := dave.conn.Send("MODE", "#reg", "+R"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "")
	p, _, login := loggedIn(t, s, "", "kim", "")
	res := p.Commands().Send(command(login.LoginId, "#reg", &pb.JoinChat{}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED || !strings.Contains(res.Error.GetText(), "Registered users only") ||
		!strings.Contains(res.Error.GetText(), "IDENTIFY") || strings.Contains(res.Error.GetText(), "full") {
		t.Errorf("join of a +R channel: %v; want registration required, with the server's words", res.Error)
	}
}

// A login whose nick was taken at connecting (its ghost, after a
// dropped connection) gets another, and its IDENTIFY goes under that
// one, identifying nothing: once the nick is the login's again, the
// IDENTIFY goes again. Before, the login stayed unidentified (its
// channels for registered nicks closed, and services renaming it).
func TestIdentifiedAgainWithNickBack(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.nickserv, srv.nickservSilent = "s3cret", true
	srv.nicksInUse = map[string]bool{"kit": true}
	srv.mu.Unlock()
	f := srv.fields("kit")
	f["nickserv_password"] = "s3cret"
	loginConnected(t, nil, f)
	srv.got("PRIVMSG NickServ :IDENTIFY s3cret")
	srv.mu.Lock()
	n, nick := len(srv.lines), srv.nick
	srv.mu.Unlock()
	if nick == "kit" {
		t.Fatalf("connected as %s; want another nick", nick)
	}
	srv.send(":" + nick + "!u@h NICK :kit") // the ghost is gone: the nick is the user's again
	srv.wait("the IDENTIFY under the login's nick", func() bool {
		for _, l := range srv.lines[n:] {
			if l == "PRIVMSG NickServ :IDENTIFY s3cret" {
				return true
			}
		}
		return false
	})
}

// A logout after the welcome (901: the user's NickServ LOGOUT, or
// services dropping the account) leaves the connection up. Before,
// irc-go took any 901 of a SASL login for a failed SASL login and quit
// the connection, which then reconnected.
func TestLoggedOutStaysConnected(t *testing.T) {
	srv := startScripted(t, "sasl", "kit\x00s3cret")
	p, evs, login := saslLogin(t, srv, "")
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	srv.send(":srv 901 kit kit!u@h :You are now logged out")
	srv.send("PING :after-logout")
	srv.got("PONG") // answered on the same connection: it is still up
	if quits := srv.sent(0, "QUIT"); len(quits) > 0 {
		t.Errorf("the plugin quit after the logout: %q", quits)
	}
}

// A join from XMPP that waited for the nick's identification longer
// than a join waits (identify_wait past JoinChatWait) says so, and the
// channel is not joined behind the user's back when the identification
// comes later. Before, the error said the server did not answer, and the
// channel was joined at the identification, with no JoinChat to keep it
// on the login's list.
func TestJoinChatGivesUpWaitingForIdentification(t *testing.T) {
	srv, p, evs, login := slowServicesLogin(t, "10m", "")
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	res := p.Commands().Send(command(login.LoginId, "#reg", &pb.JoinChat{}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(res.Error.GetText(), "not identified") {
		t.Errorf("join while services said nothing: %v; want UNAVAILABLE, saying the nick was not identified", res.Error)
	}
	srv.mu.Lock()
	n := len(srv.lines)
	srv.mu.Unlock()
	srv.send(":srv 900 kit kit!u@h kit :You are now logged in as kit")
	srv.send("PING :after-900")
	srv.got("PONG")
	if joins := srv.sent(n, "JOIN"); len(joins) > 0 {
		t.Errorf("joined at the identification, the join given up: %q", joins)
	}
}
