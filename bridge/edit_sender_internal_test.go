package bridge

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestCorrectionOfAnothersMessageDropped: a correction whose sender is
// not the corrected message's (a contact's or member's "correction" of
// the user's own message, as a modified WhatsApp or Signal client can
// send; the user's of another's) is not shown, in a one-to-one chat or
// a room; the sender's own correction still is. It was shown as a
// correction of the user's message.
func TestCorrectionOfAnothersMessageDropped(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	// The user's own messages: one to bob, one in the room.
	s.remember(ctx, sentMsg{chatID: "bob", id: "to-bob"}, &pb.CommandResult{MessageId: "mine-1"})
	s.remember(ctx, sentMsg{chatID: r.chatID, id: "in-room"}, &pb.CommandResult{MessageId: "mine-2"})
	edit := func(chat string, typ pb.ChatType, target string, snd *pb.Sender) *pb.Event {
		return &pb.Event{LoginId: s.LoginID(), ChatId: chat, ChatType: typ, EventId: "e-" + target + snd.UserId, Sender: snd,
			Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: target, Text: "forged"}}}
	}
	contact := &pb.Sender{UserId: "bob"}
	member := &pb.Sender{UserId: "echo-1"}
	me := &pb.Sender{UserId: s.LoginID(), IsFromMe: true}
	if out := tr.render(ctx, delivery{ev: edit("bob", pb.ChatType_CHAT_TYPE_DIRECT, "mine-1", contact), xid: "x1"}); len(out) != 0 {
		t.Errorf("the contact's correction of the user's message shown: %s", out[0])
	}
	if out := tr.render(ctx, delivery{ev: edit(r.chatID, pb.ChatType_CHAT_TYPE_GROUP, "mine-2", member), xid: "x2"}); len(out) != 0 {
		t.Errorf("a member's correction of the user's message shown: %s", out[0])
	}
	if out := tr.render(ctx, delivery{ev: edit(r.chatID, pb.ChatType_CHAT_TYPE_GROUP, "mine-2", me), xid: "x3"}); len(out) == 0 {
		t.Error("the user's own correction from another device not shown")
	}
}
