package irc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// tagmsgs are the TAGMSGs the server read from the from-th line on,
// each as "TAGMSG <target> <tag>=<value>..." with its tags sorted
// (irc-go writes them in no set order).
func tagmsgs(t *testing.T, srv *scripted, from int) []string {
	t.Helper()
	var out []string
	for _, l := range srv.sent(from, "@") {
		m, err := ircmsg.ParseLine(l)
		if err != nil || m.Command != "TAGMSG" {
			continue
		}
		var tags []string
		for k, v := range m.ClientOnlyTags() {
			tags = append(tags, k+"="+v)
		}
		slices.Sort(tags)
		out = append(out, strings.Join(append([]string{"TAGMSG", m.Params[0]}, tags...), " "))
	}
	return out
}

// Reactions both ways where the server relays client tags: a TAGMSG
// with +draft/react naming a message (+draft/reply) is a reaction
// event with the sender's whole set, +draft/unreact takes one back; the
// user's set (XEP-0444) goes as a TAGMSG a reaction added and one with
// +draft/unreact a reaction taken back, to the nick or the channel.
// Before, the TAGMSGs were dropped and React was refused
// (UNSUPPORTED: no sdk.Reactor).
func TestReactions(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")

	next := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	}
	want := func(ev *pb.Event, chat, from, target string, emojis ...string) {
		t.Helper()
		r := ev.GetReaction()
		if ev.ChatId != chat || ev.Sender.GetUserId() != from || r.TargetId != target || !slices.Equal(r.Emojis, emojis) {
			t.Errorf("reaction %v; want %s's %q on %s in %s", ev, from, emojis, target, chat)
		}
	}
	srv.send("@msgid=r1;+draft/reply=in-1;+draft/react=👍 :bob!b@h TAGMSG kit")
	want(next(), "bob", "bob", "in-1", "👍")
	srv.send("@msgid=r2;+draft/reply=in-1;+draft/react=🎉 :bob!b@h TAGMSG kit")
	want(next(), "bob", "bob", "in-1", "👍", "🎉")
	srv.send("@+draft/reply=in-1;+draft/react=🎉 :bob!b@h TAGMSG kit")   // again: the same set, not shown again
	srv.send("@+draft/reply=in-1;+draft/unreact=😀 :bob!b@h TAGMSG kit") // none such: nothing
	srv.send("@+draft/reply=in-1;+draft/unreact=👍 :bob!b@h TAGMSG kit")
	want(next(), "bob", "bob", "in-1", "🎉")
	srv.send("@+draft/react=👍 :bob!b@h TAGMSG kit")                     // naming no message: none
	srv.send("@+draft/reply=ch-1;+draft/react=😀 :op!o@h TAGMSG @#Room") // to the operators: no chat of the user's
	srv.send("@+draft/reply=ch-1;+draft/react=❤ :zoe!z@h TAGMSG #Room")
	want(next(), "#room", "zoe", "ch-1", "❤")

	// A hostile peer: a reaction of 4 KB, a msgid no server gives, and
	// more reactions than a set keeps are dropped, the rest shown. Before,
	// each was a reaction event, and the set (in memory, in each event)
	// grew without bound.
	srv.send("@+draft/reply=ch-1;+draft/react=%s :mal!m@h TAGMSG #Room", strings.Repeat("x", 4000))
	srv.send(`@+draft/reply=ch\s1;+draft/react=😀 :mal!m@h TAGMSG #Room`)
	var all []string
	for i := range 40 {
		e := fmt.Sprintf("r%d", i)
		srv.send("@+draft/reply=ch-1;+draft/react=%s :mal!m@h TAGMSG #Room", e)
		if len(all) < 32 {
			all = append(all, e)
			want(next(), "#room", "mal", "ch-1", all...)
		}
	}
	srv.send("@+draft/reply=ch-1;+draft/unreact=r0 :mal!m@h TAGMSG #Room")
	want(next(), "#room", "mal", "ch-1", all[1:]...)

	cmds := p.Commands()
	react := func(chat, target string, emojis ...string) {
		t.Helper()
		if res := cmds.Send(plugintest.Act(login.LoginId, chat, "", &pb.React{TargetId: target, Emojis: emojis})); res.Error != nil {
			t.Fatalf("react %q to %s: %v", emojis, target, res.Error)
		}
	}
	from := len(srv.sent(0, ""))
	react("bob", "in-2", "👍")
	react("bob", "in-2", "👍", "🎉") // adds one
	react("bob", "in-2", "🎉")      // takes one back
	react("bob", "in-2", "🎉")      // the same set: nothing
	react("bob", "in-2")           // none
	react("#room", "ch-1", "❤")
	react("#room", "ch-2", "👍", "🎉", "👍") // one twice: once
	srv.sync()
	wantSent := []string{
		"TAGMSG bob +draft/react=👍 +draft/reply=in-2",
		"TAGMSG bob +draft/react=🎉 +draft/reply=in-2",
		"TAGMSG bob +draft/reply=in-2 +draft/unreact=👍",
		"TAGMSG bob +draft/reply=in-2 +draft/unreact=🎉",
		"TAGMSG #Room +draft/react=❤ +draft/reply=ch-1",
		"TAGMSG #Room +draft/react=👍 +draft/reply=ch-2",
		"TAGMSG #Room +draft/react=🎉 +draft/reply=ch-2",
	}
	if got := tagmsgs(t, srv, from); !slices.Equal(got, wantSent) {
		t.Errorf("sent:\n%q\nwant:\n%q", got, wantSent)
	}
	// The server's echoes of the user's TAGMSGs are no one's reactions.
	srv.send("@+draft/reply=in-3;+draft/react=👀 :bob!b@h TAGMSG kit")
	want(next(), "bob", "bob", "in-3", "👀")

	// A message with an ID of the plugin's has none on the server: the
	// reaction goes in words.
	from = len(srv.sent(0, ""))
	react("bob", "18a2b3c4d5e6f708-3", "👍")
	srv.got("PRIVMSG bob :\x01ACTION reacted with 👍\x01")
	if got := tagmsgs(t, srv, from); len(got) != 0 {
		t.Errorf("a reaction to an ID of the plugin's went tagged: %q", got)
	}
}

// Without message-tags the server relays no TAGMSG: the reactions the
// user adds go in words, a /me, and taking them back sends nothing (a
// line cannot be taken back). Before, React was refused (UNSUPPORTED).
func TestReactionsWithoutMessageTags(t *testing.T) {
	srv := startScripted(t, "server-time", "")
	p, _, login := loginConnected(t, nil, srv.fields("kit"))
	cmds := p.Commands()
	react := func(emojis ...string) {
		t.Helper()
		if res := cmds.Send(plugintest.Act(login.LoginId, "bob", "", &pb.React{TargetId: "18a2b3c4d5e6f708-1", Emojis: emojis})); res.Error != nil {
			t.Fatalf("react %q: %v", emojis, res.Error)
		}
	}
	from := len(srv.sent(0, ""))
	react("👍", "🎉")
	react("🎉")      // taken back: nothing
	react("🎉", "❤") // one more
	srv.sync()
	want := []string{"PRIVMSG bob :\x01ACTION reacted with 👍 🎉\x01", "PRIVMSG bob :\x01ACTION reacted with ❤\x01"}
	if got := append(srv.sent(from, "PRIVMSG"), srv.sent(from, "@")...); !slices.Equal(got, want) {
		t.Errorf("sent:\n%q\nwant:\n%q", got, want)
	}
	for _, bad := range []*pb.React{
		{TargetId: "in-1", Emojis: []string{"a\nb"}},                    // two lines
		{TargetId: "in-1", Emojis: []string{strings.Repeat("x", 5000)}}, // a tag too long to send
		{TargetId: strings.Repeat("i", 5000), Emojis: []string{"👍"}},    // no server's msgid
	} {
		res := cmds.Send(plugintest.Act(login.LoginId, "bob", "", bad))
		if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
			t.Errorf("reaction %.40q to %.40q: %v, want BAD_REQUEST", bad.Emojis, bad.TargetId, res.Error)
		}
	}
}
