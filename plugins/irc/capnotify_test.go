package irc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A bouncer (soju, ZNC) offers the capabilities its upstream has only
// once that is connected (CAP NEW), and takes them back when it drops
// (CAP DEL): the plugin asks for those it wants as they come, and stops
// counting on those that go. Before, it kept what registration gave for
// the whole connection: no echo-message nor message-tags after a NEW,
// and after a DEL a TAGMSG of typing (and its repeats) to a server that
// no longer relays it, each send waiting for an echo that was not
// coming.
func TestCapabilitiesComeAndGo(t *testing.T) {
	srv := startScripted(t, "server-time", "")
	const typingEvery = 150 * time.Millisecond
	p, _, login := loginConnected(t, []byte(fmt.Sprintf(`{"typing_repeat":%q,"typing_timeout":"1m"}`, typingEvery)), srv.fields("kit"))
	cmds := p.Commands()

	// The upstream comes: echo-message and message-tags are offered
	// (sasl too, which is for registration only, and batch, which
	// irc-go follows only from registration: asked for, history came
	// as live messages).
	from := len(srv.sent(0, ""))
	srv.send(":srv CAP kit NEW :echo-message sasl=PLAIN batch message-tags")
	srv.wait("the requests of the new capabilities", func() bool {
		n := 0
		for _, l := range srv.lines[from:] {
			if l == "CAP REQ echo-message" || l == "CAP REQ message-tags" {
				n++
			}
		}
		return n == 2
	})
	srv.sync() // the ACKs handled
	if reqs := srv.sent(from, "CAP REQ"); len(reqs) != 2 {
		t.Errorf("requests after CAP NEW: %q, want echo-message and message-tags alone", reqs)
	}
	res := cmds.Send(plugintest.SendText(login.LoginId, "bob", "txn-1", "hi bob"))
	if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
		t.Errorf("send after echo-message came: %v, want the echo's msgid", res)
	}
	if res := cmds.Send(command(login.LoginId, "bob", &pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING})); res.Error != nil {
		t.Fatal(res.Error)
	}
	srv.wait("the typing to bob, repeated", func() bool {
		n := 0
		for _, l := range srv.lines {
			if l == "@+typing=active TAGMSG bob" {
				n++
			}
		}
		return n >= 2
	})

	// The upstream drops: both go.
	srv.mu.Lock()
	delete(srv.acked, "echo-message")
	delete(srv.acked, "message-tags")
	srv.mu.Unlock()
	srv.send(":srv CAP kit DEL :message-tags echo-message")
	srv.sync()
	from = len(srv.sent(0, ""))
	if res := cmds.Send(command(login.LoginId, "dave", &pb.SetTyping{State: pb.TypingState_TYPING_STATE_COMPOSING})); res.Error != nil {
		t.Errorf("typing without message-tags: %v, want nothing done, no error", res.Error)
	}
	if res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "txn-2", "hi dave")); res.Error != nil {
		t.Errorf("send after echo-message went: %v", res.Error)
	}
	lines := srv.sent(from, "")
	if len(lines) < 2 || lines[0] != "PRIVMSG dave :hi dave" || !strings.HasPrefix(lines[1], "PING ") {
		t.Errorf("after CAP DEL the server read %q; want the message and the PING that confirms it (no echo comes), and no TAGMSG", lines)
	}
	// The repeats of typing to bob ended with message-tags: none
	// within four repeats' time.
	time.Sleep(4 * typingEvery)
	if tags := srv.sent(from, "@"); len(tags) > 0 {
		t.Errorf("after message-tags went, sent %q", tags)
	}
}

// A long CAP LS 302 list comes in several lines ("CAP * LS * :...", the
// last without the "*"): what the plugin wants is asked for from every
// line, and a capability the server refuses (NAK) is done without, the
// others kept. (irc-go negotiates this; the test holds it to it.)
func TestCapabilitiesInSeveralLines(t *testing.T) {
	srv := startScripted(t, "server-time multi-prefix", "")
	srv.mu.Lock()
	srv.capsMore = []string{"message-tags account-tag", "echo-message userhost-in-names"}
	srv.nak = map[string]bool{"userhost-in-names": true}
	srv.mu.Unlock()
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))

	var reqs []string
	for _, l := range srv.sent(0, "CAP REQ ") {
		reqs = append(reqs, strings.TrimPrefix(strings.TrimPrefix(l, "CAP REQ "), ":"))
	}
	if got := strings.Join(reqs, " "); got != "message-tags server-time echo-message multi-prefix userhost-in-names" {
		t.Errorf("capabilities asked for: %q", got)
	}
	// echo-message, from the list's second line, is on: the send has
	// the echo's msgid (message-tags, from its first).
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "txn-1", "hi bob"))
	if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
		t.Errorf("send: %v, want the echo's msgid", res)
	}
	// userhost-in-names was refused: NAMES without hosts still lists
	// the members.
	if res := p.Commands().Send(command(login.LoginId, "#c", &pb.JoinChat{})); res.Error != nil {
		t.Fatalf("join: %v", res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if n := len(ev.GetChat().Chat.Members); n != 2 {
		t.Errorf("members of #c: %v, want op and kit", ev.GetChat().Chat.Members)
	}
}
