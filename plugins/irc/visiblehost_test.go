package irc_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's host as others now see it (396, RPL_VISIBLEHOST), said by
// the server of its own accord (services set a cloak once the user is
// identified), is shown in the server's chat, as biboumi shows it; the
// same host said again (at a reconnection) is not shown again, a new
// one is. Before, a 396 was shown only where it answered a command the
// user typed (MODE +x).
func TestVisibleHostShown(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "")
	hostSaid := func() string {
		t.Helper()
		ev := evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == "127.0.0.1" && strings.Contains(ev.GetMessage().GetText(), "visible host")
		})
		if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.GetUserId() != "127.0.0.1" {
			t.Errorf("the host shown %v: want it in the server's direct chat, from the server", ev)
		}
		return ev.GetMessage().GetText()
	}
	srv.send(":irc.test 396 kit user/kit :is now your visible host")
	if got, want := hostSaid(), "user/kit: is now your visible host"; got != want {
		t.Errorf("the server's 396: %q; want %q", got, want)
	}
	srv.send(":irc.test 396 kit user/kit :is now your visible host")
	srv.send(":irc.test 396 kit user/kit/x :is now your visible host")
	if got, want := hostSaid(), "user/kit/x: is now your visible host"; got != want {
		t.Errorf("after the same host said again, then a new one: %q; want %q (the same not shown twice)", got, want)
	}
}
