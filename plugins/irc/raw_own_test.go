package irc_test

import (
	"slices"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A PRIVMSG typed as a raw line in the server's chat to a channel the
// user is in is the user's line in that channel's room, once: where the
// server echoes (echo-message), as its echo, with the server's ID; else
// as it goes. A /me typed so is one too, and "/quote" or "/raw" before
// the line is left out, as IRC clients do. A raw PRIVMSG to a nick (a
// service's password) is still in no chat, echo or not. Before, the
// line to the channel was in no room at all: its echo was taken for a
// command's and dropped, and without an echo nothing showed it; and
// "/quote PRIVMSG ..." went to the server as a QUOTE command.
func TestRawPrivmsgShownInItsRoom(t *testing.T) {
	for _, caps := range []string{"message-tags server-time echo-message", "message-tags server-time"} {
		t.Run(caps, func(t *testing.T) {
			srv := startScripted(t, caps, "")
			p, evs, login := scriptedLogin(t, srv, "", "kit", "#room")
			srv.got("JOIN #room")
			srv.sync() // the JOIN's answer was read
			// "/quote" and "/raw" as IRC clients take them: the line after.
			res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "",
				"/quote PRIVMSG #room :hi there\n/RAW PRIVMSG #room :\x01ACTION waves\x01\nPRIVMSG Q@CServe.quakenet.org :AUTH kit s3cret"))
			if res.Error != nil {
				t.Fatalf("raw lines: %v", res.Error)
			}
			srv.got("PRIVMSG Q@CServe.quakenet.org")
			srv.sync()
			srv.send(":zoe!z@h PRIVMSG #room :marker")
			var mine []string
			evs.NextEvent(func(ev *pb.Event) bool {
				m := ev.GetMessage()
				if m == nil {
					return false
				}
				if m.Text == "marker" {
					return true
				}
				if ev.Sender.GetIsFromMe() {
					mine = append(mine, ev.ChatId+": "+m.Text)
				}
				return false
			})
			if want := []string{"#room: hi there", "#room: /me waves"}; !slices.Equal(mine, want) {
				t.Errorf("the user's lines shown: %q; want %q", mine, want)
			}
		})
	}
}
