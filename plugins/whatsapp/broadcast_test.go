package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact's message to one of their broadcast lists reaches the user
// as WhatsApp shows it, in the direct chat with the contact (whatsmeow:
// MessageSource.IsIncomingBroadcast), not dropped; statuses stay out.
func TestBroadcastListMessage(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	list := types.NewJID("1733000000", types.BroadcastServer)
	from := r.host.count()
	// As whatsmeow parses it: the list as chat, the sender beside it.
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: alice, IsGroup: true}, ID: "BL1", Timestamp: when, PushName: "Alice"},
		&waE2E.Message{Conversation: proto.String("to all my friends")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.UserId != "+33611111111" ||
		ev.EventId != "BL1" || ev.GetMessage().Text != "to all my friends" {
		t.Errorf("broadcast list message: %v", ev)
	}

	// By LID, the phone number beside it: the number's chat.
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: list, Sender: aliceLID, SenderAlt: alice, IsGroup: true, AddressingMode: types.AddressingModeLID},
		ID: "BL2", Timestamp: when}, &waE2E.Message{Conversation: proto.String("again")})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "+33611111111" || ev.Sender.UserId != "+33611111111" {
		t.Errorf("broadcast list message by LID: %v", ev)
	}
}
