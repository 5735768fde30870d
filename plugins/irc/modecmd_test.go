package irc_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// "/mode +v dave" sent to a room is the channel's MODE, as biboumi takes
// it: dave gets voice, the room shows it, and no one in the channel
// reads "/mode +v dave" as a message (erin's next line comes first).
// A ban is said in the room from the room, as biboumi says a mode
// change. Before, "/mode" went to the channel as a message, and a ban
// set was not shown.
func TestModeCommandInRoom(t *testing.T) {
	_, dave, erin, act, nextEvent := moderated(t)
	if e := act(&pb.SendMessage{Text: "/MODE +v dave"}); e != nil {
		t.Fatalf("/mode: %v", e)
	}
	if m := dave.await("MODE", "dave"); m.Params[0] != "#mod" || m.Params[1] != "+v" {
		t.Errorf("dave saw %v", m)
	}
	ev := nextEvent(func(ev *pb.Event) bool {
		return ev.GetMember().GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED || ev.GetMessage() != nil
	})
	if ev.GetMember().GetMember().GetUserId() != "dave" || ev.ChatId != "#mod" {
		t.Errorf("event %v, want dave's role change in #mod", ev)
	}
	// A mode that is no member's is said in the room, from the room.
	if e := act(&pb.SendMessage{Text: "/mode +b *!*@evil.example"}); e != nil {
		t.Fatalf("/mode +b: %v", e)
	}
	ev = nextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "ops sets mode +b *!*@evil.example" || ev.ChatId != "#mod" || ev.Sender.GetUserId() != "" {
		t.Errorf("event %v, want the ban said in #mod from the room", ev)
	}
	if err := dave.conn.Privmsg("#mod", "marker"); err != nil {
		t.Fatal(err)
	}
	if m := erin.await("PRIVMSG", ""); m.Params[1] != "marker" {
		t.Errorf("erin read %q in #mod before dave's marker, want no /mode message", m.Params[1])
	}
}
