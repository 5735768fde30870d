package irc_test

import (
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Replies both ways where the server relays client tags: an IRCv3
// client's reply ("+draft/reply", or "+reply") is a message answering
// the one it names, and the user's reply carries the tag on its first
// line; a reply to a message with an ID of the plugin's (no server
// msgid) carries none. Before, a reply came as a message answering
// nothing, and the user's went without its tag.
func TestReplies(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))

	for i, tag := range []string{"+draft/reply", "+reply"} {
		srv.send("@msgid=in-%d;%s=in-1 :bob!b@h PRIVMSG kit :yes", i+2, tag)
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if m := ev.GetMessage(); m.Text != "yes" || m.ReplyToId != "in-1" {
			t.Errorf("a reply tagged %s: %v, want reply_to_id in-1", tag, ev)
		}
	}

	cmds := p.Commands()
	send := func(text, replyTo string) {
		t.Helper()
		res := cmds.Send(plugintest.Act(login.LoginId, "bob", "", &pb.SendMessage{Text: text, ReplyToId: replyTo}))
		if res.Error != nil {
			t.Fatalf("reply %q: %v", text, res.Error)
		}
	}
	send("sure thing\nsecond line", "in-2")
	srv.got("@+draft/reply=in-2 PRIVMSG bob :sure thing")
	srv.got("PRIVMSG bob :second line")
	send("/me nods", "in-2")
	srv.got("@+draft/reply=in-2 PRIVMSG bob :\x01ACTION nods\x01")
	from := len(srv.sent(0, ""))
	send("to a message of the gateway's", "18a2b3c4d5e6f708-3")
	if got := srv.sent(from, "@"); len(got) != 0 {
		t.Errorf("a reply to an ID of the plugin's went tagged: %q", got)
	}
	srv.got("PRIVMSG bob :to a message of the gateway's")

	// A peer's tag is any text: one no server could have given (a space,
	// a line break, 5 KB) names no message, and the message still comes.
	// Before, it was the event's reply_to_id, and the user's reply to
	// the 5 KB one was refused (a tag too long for irc-go to send).
	long := strings.Repeat("x", 5000)
	for i, id := range []string{`in\sone`, `in\none`, long} {
		srv.send("@msgid=bad-%d;+draft/reply=%s :bob!b@h PRIVMSG kit :odd %d", i, id, i)
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if m := ev.GetMessage(); m.Text != fmt.Sprintf("odd %d", i) || m.ReplyToId != "" {
			t.Errorf("a reply to %.20q: %q, reply_to_id %.40q; want odd %d, none", id, m.Text, m.ReplyToId, i)
		}
	}
	from = len(srv.sent(0, ""))
	send("to a long ID", long)
	srv.got("PRIVMSG bob :to a long ID")
	if got := srv.sent(from, "@"); len(got) != 0 {
		t.Errorf("a reply to an ID no server gives went tagged: %.80q", got)
	}
}
