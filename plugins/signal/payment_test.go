package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A payment's notice says who paid whom, as Signal's apps do ("Bob sent
// you a payment", "You sent Bob a payment"): a contact's names them, the
// user's own from the phone names whom they paid. Before, both read
// "Payment: for lunch", the same words whichever way the money went, and
// the one sent from the phone did not say to whom.
func TestPaymentSaysWhoPaid(t *testing.T) {
	d, _ := startFake(t)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"})
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().ContactList(ctx, &pb.LoginRef{LoginId: s.loginID}); err != nil { // as the gateway at a connection
		t.Fatal(err)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Payment: map[string]any{"note": "for lunch"}}})
	want := "Payment from Bob (" + bob + "): for lunch\n(see it on your phone)"
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != want || ev.ChatId != bob {
		t.Fatalf("bob's payment: %q in %s, want %q", ev.GetMessage().GetText(), ev.ChatId, want)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DestinationNumber: bob, DestinationUUID: bobACI,
			DataMessage: fakesignal.DataMessage{Payment: map[string]any{"note": "back"}}}}})
	want = "Payment to Bob (" + bob + "): back\n(see it on your phone)"
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != want || !ev.GetSender().GetIsFromMe() {
		t.Fatalf("alice's payment from the phone: %q from %v, want %q", ev.GetMessage().GetText(), ev.GetSender(), want)
	}
}
