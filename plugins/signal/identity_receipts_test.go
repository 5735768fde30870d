package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Receipts and read syncs find a message's chat by its timestamp, noted
// when the message went or came: for a contact known by their ACI then,
// whose number became known since (the contact moved to it, IdentityEvent),
// they name the chat the contact has now, not the one the gateway moved
// away from.
func TestReceiptsAfterIdentityMove(t *testing.T) {
	// Dave's twin, with an ACI the user can write to (hex digits only).
	const (
		daveACI = "d0000000-0000-4000-8000-0000000000e1"
		daveNum = "+15550000014"
	)
	d, _ := startFake(t)
	s := newSession(t, d)
	theirs := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceUUID: daveACI, SourceName: "Dave", Timestamp: theirs,
		DataMessage: &fakesignal.DataMessage{Timestamp: theirs, Message: fakesignal.Text("number hidden")}})
	if ev := s.next(isText("number hidden")); ev.ChatId != daveACI {
		t.Fatalf("ACI-only sender: %v", ev)
	}
	res := s.do(daveACI, &pb.SendMessage{Text: "hello dave"})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	mine := atoi(t, res.MessageId)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNum, SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number shared")}})
	s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil })
	s.next(isText("number shared"))

	// Dave reads the user's message; the user reads dave's on the phone.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNum, SourceUUID: daveACI, ReceiptMessage: &fakesignal.ReceiptMessage{IsRead: true, Timestamps: []int64{mine}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil }); ev.ChatId != daveNum || ev.GetReceipt().MessageIds[0] != mid(mine, alice) {
		t.Fatalf("dave's receipt: %v, want it in %s", ev, daveNum)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		ReadMessages: []fakesignal.ReadMessage{{SenderUUID: daveACI, Timestamp: theirs}}}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetReceipt() != nil }); ev.ChatId != daveNum || !ev.Sender.GetIsFromMe() {
		t.Fatalf("the read on the phone: %v, want it in %s", ev, daveNum)
	}
}
