package echo_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestGroupMovedAndDeleted: in a channel, "move-group #NEW" ends it with
// a ChatRemovedEvent naming #NEW (replaced_by), then #NEW comes as a
// group; the old channel is no more. "delete-group" ends a channel as
// deleted. Elsewhere, and without a channel to move to, the words are no
// command.
func TestGroupMovedAndDeleted(t *testing.T) {
	p, evs := startAlice(t)
	cmds := p.Commands()
	if res := cmds.Send(plugintest.Act("alice", "#old", "j1", &pb.JoinChat{Nick: "al"})); res.Error != nil {
		t.Fatalf("join #old: %v", res.Error)
	}
	if res := cmds.Send(plugintest.SendText("alice", "#old", "m0", "move-group nowhere")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Fatalf("move-group to no channel: %v, want BAD_REQUEST", res)
	}
	if res := cmds.Send(plugintest.SendText("alice", "#old", "m1", "move-group #new")); res.Error != nil {
		t.Fatalf("move-group: %v", res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if ev.ChatId != "#old" || ev.GetChatRemoved().ReplacedBy != "#new" || ev.GetChatRemoved().Reason == pb.ChatRemovedEvent_REASON_DELETED {
		t.Fatalf("the move's removal: %v", ev)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if c := ev.GetChat().GetChat(); ev.ChatId != "#new" || c.ChatId != "#new" || c.Type != pb.ChatType_CHAT_TYPE_GROUP || c.Members[0].Nick != "al" {
		t.Fatalf("the new group: %v", ev)
	}
	if res := cmds.Send(plugintest.SendText("alice", "#old", "m2", "still there?")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a message to the moved channel: %v, want NOT_FOUND", res)
	}

	if res := cmds.Send(plugintest.SendText("alice", "#new", "m3", "delete-group")); res.Error != nil {
		t.Fatalf("delete-group: %v", res.Error)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if ev.ChatId != "#new" || ev.GetChatRemoved().Reason != pb.ChatRemovedEvent_REASON_DELETED || ev.GetChatRemoved().ReplacedBy != "" {
		t.Fatalf("the deletion: %v", ev)
	}
	if res := cmds.Send(plugintest.SendText("alice", "#new", "m4", "still there?")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a message to the deleted channel: %v, want NOT_FOUND", res)
	}

	// In the echo room, delete-group is an ordinary message: echoed.
	if res := cmds.Send(plugintest.SendText("alice", "echo-room", "m5", "delete-group")); res.Error != nil {
		t.Fatalf("delete-group in the room: %v", res.Error)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil || ev.GetChatRemoved() != nil })
	if ev.GetMessage().GetText() != "delete-group" {
		t.Errorf("delete-group in the echo room: %v, want its echo", ev)
	}
}
