package irc_test

import (
	"strings"
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

// "/mode" in a room is a command, not a message: the result says so
// (handled_as_command), with no message ID, so that the gateway does not
// reflect it in the room as the user's message. A bare "/mode" asks the
// channel's modes, and "/mode +b" (or "b") without a mask its ban list:
// the server's answers (324; 367 to 368) are the command's reply, which
// the gateway shows the user alone. Before, a "/mode" change was
// answered as a message sent, and a bare "/mode" or "/mode b" went to
// the channel as a message.
func TestModeCommandAnswered(t *testing.T) {
	_, dave, erin, act, _ := moderated(t)
	var res *pb.CommandResult
	do := func(text string) *pb.CommandResult {
		t.Helper()
		if e := act(answered{&pb.SendMessage{Text: text}, &res}); e != nil {
			t.Fatalf("%s: %v", text, e)
		}
		if !res.HandledAsCommand || res.MessageId != "" {
			t.Errorf("%s: %v, want handled as a command, no message", text, res)
		}
		return res
	}
	if r := do("/mode b"); r.CommandReply != "No one is banned in #mod." {
		t.Errorf("/mode b with no ban: reply %q", r.CommandReply)
	}
	do("/mode +m")
	if m := dave.await("MODE", ""); m.Params[0] != "#mod" || m.Params[1] != "+m" {
		t.Errorf("dave saw %v, want +m", m)
	}
	if r := do("  /MODE "); !strings.HasPrefix(r.CommandReply, "Modes of #mod: +") || !strings.Contains(strings.Fields(r.CommandReply)[3], "m") {
		t.Errorf("bare /mode: reply %q, want the channel's modes with m", r.CommandReply)
	}
	do("/mode -m") // dave speaks again, for the marker below
	if m := dave.await("MODE", ""); m.Params[1] != "-m" {
		t.Errorf("dave saw %v, want -m", m)
	}
	do("/mode +b *!*@evil.example")
	if m := dave.await("MODE", ""); m.Params[1] != "+b" {
		t.Errorf("dave saw %v, want the ban", m)
	}
	r := do("/mode +b")
	if lines := strings.Split(r.CommandReply, "\n"); len(lines) != 2 || lines[0] != "Bans in #mod (1):" || !strings.HasPrefix(lines[1], "*!*@evil.example") {
		t.Errorf("/mode +b: reply %q, want the one ban", r.CommandReply)
	}
	// None of it reached the channel as a message.
	if err := dave.conn.Privmsg("#mod", "marker"); err != nil {
		t.Fatal(err)
	}
	if m := erin.await("PRIVMSG", ""); m.Params[1] != "marker" {
		t.Errorf("erin read %q in #mod before dave's marker, want no /mode message", m.Params[1])
	}
}
