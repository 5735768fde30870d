package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A message whatsmeow could not decrypt is said with a notice, and
// whatsmeow asks the sender (or the phone) to send it again: when it
// comes, decrypted, under the same message ID, it is shown. The notice
// must not take the message's ID, or the gateway drops the message as a
// duplicate of it (it keeps the first event of an ID).
func TestUndecryptableThenDecrypted(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "U1", Timestamp: when, PushName: "Alice"}
	from := r.host.count()
	fake.Emit(&events.UndecryptableMessage{Info: info})
	notice, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if notice.ChatId != "+33611111111" || notice.Sender.UserId != "+33611111111" {
		t.Errorf("notice: %v", notice)
	}
	fake.Receive(ctx, &info, &waE2E.Message{Conversation: proto.String("sent again")})
	msg, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "sent again" })
	if msg.EventId != "U1" {
		t.Errorf("the message: %v", msg)
	}
	if notice.EventId == msg.EventId {
		t.Errorf("the notice has the message's ID %q: the gateway would drop the message", notice.EventId)
	}
}
