package bridge

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestEchoIDMapped: the network's echo of the user's send, named by its
// txn under another remote ID than the send's result gave, maps that ID
// to the user's message too, so an edit, reaction or retraction naming
// the echo's ID finds it; the user's ids still name the send's remote
// ID. Also for an echo that came while the send was under way. Before,
// the echo's ID was unknown (or named an id the user never got).
func TestEchoIDMapped(t *testing.T) {
	tr, s := aliceOnEcho(t)
	ctx := context.Background()
	own := func(eventID, txn string) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: eventID, TxnId: txn,
			Sender: &pb.Sender{UserId: "me", IsFromMe: true}, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
	}
	mapped := func(echoID, id, sendRemote string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ref, err := tr.db.LookupRemote("echo", "l", "bob", echoID)
			if err == nil && ref.ID == id && ref.FromMe {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the echo's ID %s does not name the user's message %s: %+v %v", echoID, id, ref, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if ref, err := tr.db.LookupXMPP("echo", "l", "bob", id); err != nil || ref.RemoteID != sendRemote {
			t.Errorf("the user's id %s names %q (%v), want the send's %s", id, ref.RemoteID, err, sendRemote)
		}
	}

	// The send's result stored, then its echo under another ID.
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "r2", OriginID: "o2", ID: "i2", FromMe: true}}))
	if out := tr.render(ctx, delivery{ev: own("r2-echo", "o2"), xid: "x2"}); len(out) != 0 {
		t.Fatalf("the echo of a stored send was shown: %s", out)
	}
	mapped("r2-echo", "i2", "r2")

	// The echo first, the send's result after.
	done := s.startSend("l", "bob", "o1", "i1", recentMsg{text: "hi"})
	if out := tr.render(ctx, delivery{ev: own("r1-echo", "o1"), xid: "x1"}); len(out) != 0 {
		t.Fatalf("the echo of a send under way was shown: %s", out)
	}
	s.remember(ctx, sentMsg{chatID: "bob", txn: "o1", originID: "o1", id: "i1"}, &pb.CommandResult{MessageId: "r1"})
	done()
	mapped("r1-echo", "i1", "r1")
}
