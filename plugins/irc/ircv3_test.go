package irc_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Where the server offers them, the plugin negotiates IRCv3 message-tags,
// server-time, echo-message and multi-prefix (and nothing else), logs in
// with SASL PLAIN, takes the server's msgid and time for events, and
// takes the server's echo of the user's line as the send's confirmation
// (its ID and time in the result) rather than as a message again; a line
// of the user's sent from another client is a message from them.
func TestIRCv3(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time echo-message multi-prefix sasl=PLAIN,EXTERNAL", "kit\x00s3cret")
	p, evs, login := saslLogin(t, srv, "")
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

	srv.mu.Lock()
	var reqs []string
	for _, l := range srv.lines {
		if r, ok := strings.CutPrefix(l, "CAP REQ "); ok {
			reqs = append(reqs, strings.TrimPrefix(r, ":"))
		}
	}
	srv.mu.Unlock()
	if got := strings.Join(reqs, " "); got != "message-tags server-time echo-message multi-prefix batch sasl" {
		t.Errorf("capabilities asked for: %q", got)
	}
	if auth := srv.got("AUTHENTICATE "); auth != "AUTHENTICATE PLAIN" {
		t.Errorf("first AUTHENTICATE %q", auth)
	}
	want := base64.StdEncoding.EncodeToString([]byte("kit\x00kit\x00s3cret"))
	srv.got("AUTHENTICATE " + want)

	// A message with the server's ID and time.
	srv.send("@msgid=in-1;time=2024-01-02T03:04:05.5Z :bob!b@h PRIVMSG kit :hello")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	at := time.Date(2024, 1, 2, 3, 4, 5, 500e6, time.UTC)
	if ev.GetMessage().Text != "hello" || ev.EventId != "in-1" || ev.TimestampUnixMicro != at.UnixMicro() || ev.ChatId != "bob" {
		t.Errorf("message event %v", ev)
	}

	// The user's line: the server's echo confirms it.
	cmds := p.Commands()
	res := cmds.Send(plugintest.SendText(login.LoginId, "bob", "txn-1", "hi bob"))
	echoAt, _ := time.Parse(time.RFC3339Nano, echoTime)
	if res.Error != nil || res.MessageId != "srv-1" || res.TimestampUnixMicro != echoAt.UnixMicro() {
		t.Errorf("send result %v, want the echo's msgid srv-1 and time", res)
	}
	srv.got("PRIVMSG bob :hi bob")
	// A /me in two lines: two echoes, one result.
	res = cmds.Send(plugintest.SendText(login.LoginId, "bob", "txn-2", "/me waves\nand goes"))
	if res.Error != nil || res.MessageId != "srv-2" {
		t.Errorf("send result %v, want srv-2", res)
	}
	// Not a message again: the next message event is bob's.
	srv.send(":bob!b@h PRIVMSG kit :marker")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().Text != "marker" {
		t.Errorf("after the sends, message event %v; want bob's marker (the echoes are no messages)", ev)
	}

	// The user's own line from another client on the account.
	srv.send("@msgid=x-9 :kit!u@h PRIVMSG bob :from my phone")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "from my phone" || !ev.Sender.GetIsFromMe() || ev.ChatId != "bob" || ev.EventId != "x-9" {
		t.Errorf("own line from elsewhere: %v", ev)
	}

	// A channel: joined from XMPP, member events at the server's time.
	if res := cmds.Send(command(login.LoginId, "#c", &pb.JoinChat{})); res.Error != nil {
		t.Fatalf("join: %v", res.Error)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if op := ev.GetChat().Chat.Members[1]; op.UserId != "op" || op.Role != pb.Role_ROLE_MODERATOR || len(ev.GetChat().Chat.Members) != 2 {
		t.Errorf("chat %v", ev)
	}
	srv.send("@time=2024-01-02T03:04:06Z :zoe!z@h JOIN #c")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember() != nil })
	if ev.GetMember().Member.UserId != "zoe" || ev.TimestampUnixMicro != at.Add(500*time.Millisecond).UnixMicro() {
		t.Errorf("join event %v", ev)
	}
	// A mode set by the server itself: no member made it.
	srv.send(":irc.srv MODE #c +o kit")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED })
	if m := ev.GetMember().Member; !m.IsSelf || m.Role != pb.Role_ROLE_MODERATOR || ev.Sender.GetUserId() != "" || ev.Sender.GetName() != "irc.srv" {
		t.Errorf("role change by the server: %v", ev)
	}

	// A join the connection drops under is answered at once, saying so
	// (not JoinChatWait later, as not answered: no timing asserted).
	res = cmds.Send(command(login.LoginId, "#drop", &pb.JoinChat{}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(res.Error.GetText(), "dropped") {
		t.Errorf("join as the connection dropped: %v", res.Error)
	}
}

// A SASL account the server refuses is bad credentials, with the
// server's words, not a lost connection to retry: also when the server
// drops the connection right after refusing, before the client's QUIT.
func TestSASLPlainRefused(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(fmt.Sprintf("drop=%v", drop), func(t *testing.T) {
			srv := startScripted(t, "sasl", "kit\x00s3cret")
			srv.mu.Lock()
			srv.dropOnSASLFail = drop
			srv.mu.Unlock()
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
			evs := p.Events()
			f := srv.fields("kit")
			f["sasl_user"], f["sasl_password"] = "kit", "wrong"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			st := evs.NextEvent(func(ev *pb.Event) bool {
				s := ev.GetLoginState().GetState()
				return s != pb.LoginState_LOGIN_STATE_CONNECTING && s != pb.LoginState_LOGIN_STATE_UNKNOWN
			})
			if st.GetLoginState().State != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.GetLoginState().Message, "SASL authentication failed") {
				t.Errorf("login state %v, want bad credentials with the server's words", st.GetLoginState())
			}
		})
	}
}

// A server that is down is tried again after waits that double from
// reconnect_min up to reconnect_max, each jittered to between half and
// all of it.
func TestReconnectBackoff(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuse = true
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"200ms","reconnect_max":"800ms"}`))
	evs := p.Events()
	login := p.Login("", srv.fields("lee"))
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	srv.wait("6 connections", func() bool { return len(srv.arrived) >= 6 })
	srv.mu.Lock()
	arrived := srv.arrived
	srv.mu.Unlock()
	for i, full := range []time.Duration{200, 400, 800, 800, 800} {
		full *= time.Millisecond
		gap := arrived[i+1].Sub(arrived[i])
		if gap < full/2-10*time.Millisecond || gap > full+500*time.Millisecond {
			t.Errorf("wait before attempt %d: %v, want %v to %v", i+1, gap, full/2, full)
		}
	}
	// Once the server takes the connection, the login is connected.
	srv.mu.Lock()
	srv.refuse = false
	srv.mu.Unlock()
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
}

// A login with a NickServ password identifies at each connection; the
// line's echo is not shown (it holds the password), NickServ's answer
// (a NOTICE) is a message from nickserv, and the server's own notices
// are not.
func TestNickServ(t *testing.T) {
	srv := startScripted(t, "echo-message", "")
	srv.mu.Lock()
	srv.nickserv = "s3cret"
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["nickserv_password"] = "s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	srv.got("PRIVMSG NickServ :IDENTIFY s3cret")
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		m := ev.GetMessage()
		if m == nil {
			return false
		}
		if strings.Contains(m.Text, "s3cret") || strings.Contains(m.Text, "notice of the server") {
			t.Errorf("shown to the user: %v", ev)
		}
		return ev.ChatId == "nickserv"
	})
	if m := ev.GetMessage(); m.Text != "You are now identified for kit." || len(m.Spans) != 1 || ev.Sender.GetName() != "NickServ" {
		t.Errorf("NickServ's answer: %v", ev)
	}
}
