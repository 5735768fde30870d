package bridge

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestOwnEchoByTxn: the network's echo of a message the user's client
// sent through the gateway, which the plugin names by the send's txn_id
// (the contract's Event.txn_id) under another remote ID than the send's
// result gave, or before that result is stored, is not shown again;
// nor does it wait for the send. An echo naming a txn the user never
// sent, or none, is the user's message from elsewhere and is shown.
// Before, the gateway never read txn_id: these echoes reached the user's
// clients as a second copy of their message.
func TestOwnEchoByTxn(t *testing.T) {
	tr, s := aliceOnEcho(t)
	ctx := context.Background()
	own := func(eventID, txn string) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: eventID, TxnId: txn,
			Sender: &pb.Sender{UserId: "me", IsFromMe: true}, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
	}
	// A send under way under origin-id o1: its echo comes first.
	done := s.startSend("l", "bob", "o1", "i1", recentMsg{text: "hi"})
	if w := tr.echoWaits(own("r1", "o1")); w != nil {
		w.cancel[0]()
		t.Error("the echo named by its txn waits for the send's result")
	}
	if out := tr.render(ctx, delivery{ev: own("r1", "o1"), xid: "x1"}); len(out) != 0 {
		t.Errorf("the echo of a send under way was shown: %s", out)
	}
	done()
	// A send whose result is stored, echoed under another remote ID.
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "r2", OriginID: "o2", ID: "i2", FromMe: true}}))
	if out := tr.render(ctx, delivery{ev: own("r2-echo", "o2"), xid: "x2"}); len(out) != 0 {
		t.Errorf("the echo of a stored send was shown: %s", out)
	}
	// Not the user's send through the gateway: shown.
	for _, txn := range []string{"", "o9"} {
		if out := tr.render(ctx, delivery{ev: own("r3"+txn, txn), xid: "x3" + txn}); len(out) == 0 {
			t.Errorf("the user's message from elsewhere (txn %q) was not shown", txn)
		}
	}
}
