package irc_test

import (
	"slices"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A reaction of the user's made on another client of theirs (a bouncer
// relays the TAGMSG with the user's nick as its source, echoing none of
// the plugin's) is the user's own reaction, in the channel or in the
// chat with the nick it went to; the set it makes is the user's, so a
// reaction added from XMPP then sends only itself. The echo of a
// reaction the plugin sent is still no event. Before, every TAGMSG from
// the user's nick was taken for an echo and dropped: the reaction made
// elsewhere was not shown.
func TestOwnReactionFromAnotherClient(t *testing.T) {
	for _, caps := range []string{"message-tags server-time echo-message", "message-tags server-time"} {
		t.Run(caps, func(t *testing.T) {
			srv := startScripted(t, caps, "")
			p, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")
			next := func() *pb.Event {
				t.Helper()
				return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil })
			}
			want := func(ev *pb.Event, chat string, fromMe bool, target string, emojis ...string) {
				t.Helper()
				r := ev.GetReaction()
				if ev.ChatId != chat || ev.Sender.GetIsFromMe() != fromMe || r.TargetId != target || !slices.Equal(r.Emojis, emojis) {
					t.Errorf("reaction %v; want %q on %s in %s, from the user: %v", ev, emojis, target, chat, fromMe)
				}
			}
			srv.send("@msgid=b-1;+draft/reply=in-1;+draft/react=👍 :kit!u@h TAGMSG bob")
			ev := next()
			want(ev, "bob", true, "in-1", "👍")
			if ev.Sender.GetUserId() != login.LoginId || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT {
				t.Errorf("the user's reaction to bob: %v; want from the login's ID, in bob's direct chat", ev)
			}
			srv.send("@msgid=b-2;+draft/reply=ch-1;+draft/react=❤ :kit!u@h TAGMSG #Room")
			want(next(), "#room", true, "ch-1", "❤")
			srv.send("@msgid=b-3;+draft/reply=ch-1;+draft/unreact=❤ :kit!u@h TAGMSG #Room")
			want(next(), "#room", true, "ch-1")
			srv.send("@+draft/reply=ch-1;+draft/react=😀 :kit!u@h TAGMSG @#Room") // to the operators: no chat
			srv.send("@+typing=active :kit!u@h TAGMSG #Room")                    // the user's typing elsewhere: not shown

			// From XMPP, the user's set on in-1 becomes 👍 🎉: only 🎉 goes,
			// and its echo (with echo-message) is no event.
			from := len(srv.sent(0, ""))
			if res := p.Commands().Send(plugintest.Act(login.LoginId, "bob", "", &pb.React{TargetId: "in-1", Emojis: []string{"👍", "🎉"}})); res.Error != nil {
				t.Fatalf("react: %v", res.Error)
			}
			srv.sync()
			if got, w := tagmsgs(t, srv, from), []string{"TAGMSG bob +draft/react=🎉 +draft/reply=in-1"}; !slices.Equal(got, w) {
				t.Errorf("sent:\n%q\nwant:\n%q", got, w)
			}
			srv.send("@+draft/reply=in-9;+draft/react=👀 :bob!b@h TAGMSG kit")
			want(next(), "bob", false, "in-9", "👀")
		})
	}
}
