package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Where the server echoes the user's lines (echo-message), the echo
// confirms a send, with the server's ID, and a refusal that comes
// instead is its error: no PING follows the lines. Before, every send
// was followed by a PING and waited for its PONG (a line and a round
// trip more per message). Servers without echo-message (ngircd) keep
// the PING: TestSendRefused.
func TestSendConfirmedByEcho(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	srv.mu.Lock()
	srv.refuseMsg = map[string]string{"eve": "401 :No such nick/channel"}
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	cmds := p.Commands()
	srv.mu.Lock()
	from := len(srv.lines)
	srv.mu.Unlock()
	res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "", "hello\nagain"))
	if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
		t.Errorf("send to dave: %v, ID %q; want the echo's msgid", res.Error, res.MessageId)
	}
	res = cmds.Send(plugintest.SendText(login.LoginId, "eve", "", "hello"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(res.Error.GetText(), "No such nick") {
		t.Errorf("send to eve: %v; want NOT_FOUND with the server's words", res.Error)
	}
	if res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "", "after")); res.Error != nil {
		t.Errorf("send to dave after eve's refusal: %v", res.Error)
	}
	if pings := srv.sent(from, "PING passerelle-"); len(pings) > 0 {
		t.Errorf("the sends were followed by %q; want the echoes alone to confirm them", pings)
	}
}

// A typing notification's refusal (a 404 of a channel that takes no
// TAGMSG from the user) is not a message's: the message sent right
// after it, which the server relays, succeeds. With echo-message, the
// TAGMSG's refusal comes instead of its echo, in its turn among the
// user's lines; without, the TAGMSG goes between two PINGs of its own.
// Before, the 404 that came while the message waited was its error.
func TestTypingRefusalIsNoSendsRefusal(t *testing.T) {
	for _, caps := range []string{"message-tags server-time echo-message", "message-tags server-time"} {
		t.Run(caps, func(t *testing.T) {
			srv := startScripted(t, caps, "")
			srv.mu.Lock()
			srv.refuseTag = map[string]string{"#room": "404 :Cannot send to channel"}
			srv.holdAt = "TAGMSG #room"
			srv.mu.Unlock()
			p, _, login := scriptedLogin(t, srv, "", "kit", "#room")
			cmds := p.Commands()
			typer(t, cmds, login.LoginId)("#room", pb.TypingState_TYPING_STATE_COMPOSING)
			srv.got("@+typing=active TAGMSG #room")
			// The server answers the TAGMSG only once the message came
			// (a lagging server): its 404 comes while the send waits.
			sent := make(chan *pb.Error, 1)
			go func() { sent <- cmds.Send(plugintest.SendText(login.LoginId, "#room", "", "hi")).Error }()
			srv.got("PRIVMSG #room hi")
			srv.release()
			if err := <-sent; err != nil {
				t.Errorf("send after a refused TAGMSG: %v; want it sent", err)
			}
		})
	}
}

// A refusal that names a nick (401) while both a send to that nick and
// a moderation command naming it wait is the one's whose line it
// answers: the send's refusal is not the invitation's. Before, the
// send's 401, come while the INVITE waited, failed both.
func TestModerationRefusalKeptApart(t *testing.T) {
	for _, caps := range []string{"", "message-tags server-time echo-message"} {
		t.Run("caps="+caps, func(t *testing.T) {
			srv := startScripted(t, caps, "")
			srv.mu.Lock()
			srv.refuseMsg = map[string]string{"dave": "401 :No such nick/channel"}
			srv.holdAt = "PRIVMSG dave"
			srv.mu.Unlock()
			p, _, login := scriptedLogin(t, srv, "", "kit", "#room")
			cmds := p.Commands()
			sent := make(chan *pb.Error, 1)
			go func() { sent <- cmds.Send(plugintest.SendText(login.LoginId, "dave", "", "hi")).Error }()
			srv.got("PRIVMSG dave hi")
			invited := make(chan *pb.Error, 1)
			go func() { invited <- cmds.Send(command(login.LoginId, "#room", &pb.Invite{UserId: "dave"})).Error }()
			srv.got("INVITE dave #room")
			srv.release()
			if err := <-sent; err.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
				t.Errorf("send to dave: %v; want NOT_FOUND", err)
			}
			if err := <-invited; err != nil {
				t.Errorf("invitation of dave: %v; want it done (the 401 was the send's)", err)
			}
		})
	}
}

// The same against ngircd: a message to dave, held by the login's pace
// (its throttle) behind a paste, waits while an invitation of dave, not
// on the server yet, is refused (401); dave then comes, and the message
// reaches them. The 401 was the invitation's alone: the message is no
// error. Before, the 401 that came while the message waited was its
// error too, though dave got it.
func TestModerationRefusalKeptApartOnNgircd(t *testing.T) {
	s := startNgircd(t)
	f := loginFields(s, "kim", "#mod")
	f["throttle"] = "0.2" // after the burst of 5, a line each 5 s
	p, _, login := loginConnected(t, nil, f)
	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#mod", "", "1\n2\n3\n4\n5")); res.Error != nil {
		t.Fatalf("the burst: %v", res.Error)
	}
	sent := make(chan *pb.Error, 1)
	go func() { sent <- cmds.Send(plugintest.SendText(login.LoginId, "dave", "", "hi dave")).Error }()
	wantError(t, "invitation of dave, not on the server", cmds.Send(command(login.LoginId, "#mod", &pb.Invite{UserId: "dave"})).Error,
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, "nobody has that nick")
	dave := newClient(t, s, "dave")
	dave.await("PRIVMSG", "hi dave")
	if err := <-sent; err != nil {
		t.Errorf("the message dave got: %v; want no error (the 401 was the invitation's)", err)
	}
}

// A late refusal of a message is not a join's: where the server echoes
// (echo-message), a message it has not answered within EchoWait is no
// error, and its echo, or the refusal in its stead, may come later,
// while the chat's next command runs. Here a lagging server refuses a
// message to a channel that emptied (403) after the user, kicked,
// joined it again, and it made the channel anew for the JOIN: the join
// is done. Before, the message's 403 failed the join.
func TestLateSendRefusalIsNoJoinsRefusal(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	srv.mu.Lock()
	srv.refuseMsg = map[string]string{"#room": "403 :No such channel"}
	srv.holdAt = "PRIVMSG #room"
	srv.mu.Unlock()
	p, evs, login := scriptedLogin(t, srv, "", "kit", "#room")
	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#room", "", "hi")); res.Error != nil {
		t.Fatalf("send not answered within EchoWait: %v; want no error", res.Error)
	}
	// The kick the server sent before it read the message.
	srv.send(":op!u@h KICK #room kit :out")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#room" && ev.GetChatRemoved() != nil })
	joined := make(chan *pb.Error, 1)
	go func() { joined <- cmds.Send(command(login.LoginId, "#room", &pb.JoinChat{})).Error }()
	srv.wait("the second JOIN #room", func() bool { return count(srv.lines, "JOIN #room") == 2 })
	srv.release()
	if err := <-joined; err != nil {
		t.Errorf("join after the message's late 403: %v; want it joined (the 403 was the message's)", err)
	}
}

// count is how many of lines are line.
func count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}
