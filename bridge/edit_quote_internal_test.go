package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestReplyQuotesCorrectedText: a reply from the network to a message
// its sender corrected quotes the corrected text in its XEP-0461
// fallback, not the words the correction replaced.
func TestReplyQuotesCorrectedText(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	ctx := context.Background()
	ev := func(id string, p any) *pb.Event {
		e := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: id, Sender: &pb.Sender{UserId: "bob"}}
		switch p := p.(type) {
		case *pb.MessageEvent:
			e.Payload = &pb.Event_Message{Message: p}
		case *pb.EditEvent:
			e.Payload = &pb.Event_Edit{Edit: p}
		}
		return e
	}
	if out := tr.render(ctx, delivery{ev: ev("m1", &pb.MessageEvent{Text: "see you at 5"}), xid: "x1"}); len(out) != 1 {
		t.Fatalf("message: %d stanzas", len(out))
	}
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "m1", ID: "x1"}}))
	if out := tr.render(ctx, delivery{ev: ev("e1", &pb.EditEvent{TargetId: "m1", Text: "see you at 6"}), xid: "x2"}); len(out) != 1 {
		t.Fatalf("correction: %d stanzas", len(out))
	}
	out := tr.render(ctx, delivery{ev: ev("m2", &pb.MessageEvent{Text: "or 7?", ReplyToId: "m1"}), xid: "x3"})
	if len(out) != 1 || !strings.Contains(string(out[0]), "<body>&gt; see you at 6\nor 7?</body>") {
		t.Fatalf("the reply does not quote the corrected text: %s", out)
	}
}
