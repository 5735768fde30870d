package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestEchoNotTakenFromOtherClient: with echo-message, the user's
// line to bob is confirmed by the server's echo. A line another client on
// the same account (a bouncer's other client) sends to bob, relayed just
// before that echo, is that other line, not the confirmation: it was
// taken for the send's echo (the oldest send to the target, failing a
// text match), so the send got the other line's msgid, the other line
// was never shown, and the user's own line came back as a message "from
// another device": a duplicate of what they wrote, and a loss of what
// they wrote elsewhere.
func TestEchoNotTakenFromOtherClient(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))

	srv.mu.Lock()
	srv.beforeEcho = "@msgid=phone-1 :kit!u@h PRIVMSG bob :from my phone"
	srv.mu.Unlock()
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", "hi bob"))
	if res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	if res.MessageId == "phone-1" {
		t.Errorf("the send was confirmed by the other client's line (msgid %s)", res.MessageId)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "from my phone" || ev.EventId != "phone-1" || !ev.Sender.GetIsFromMe() {
		t.Errorf("first message event %v; want the other client's line, phone-1", ev)
	}
	// Nothing more of the user's own line: the next message is bob's.
	srv.send(":bob!b@h PRIVMSG kit :marker")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().Text != "marker" {
		t.Errorf("then %v; want bob's marker (the user's own line came back as a message)", ev)
	}
}

// TestEchoChangedByServer: an echo whose text the server changed
// (cut past its line length, colours stripped) still confirms the send:
// the narrower match of TestEchoNotTakenFromOtherClient keeps
// that.
func TestEchoChangedByServer(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))
	for i, echoAs := range []string{"a long line, cu", "\x0304red\x03 words"} {
		sent := "a long line, cut by the server"
		if i == 1 {
			sent = "red words"
		}
		srv.mu.Lock()
		srv.echoAs = echoAs
		srv.mu.Unlock()
		res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-"+sent, sent))
		if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
			t.Errorf("send of %q echoed as %q: %v, want the echo's msgid", sent, echoAs, res)
		}
	}
	srv.send(":bob!b@h PRIVMSG kit :marker")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().Text != "marker" {
		t.Errorf("then %v; want bob's marker (a changed echo came back as a message)", ev)
	}
}
