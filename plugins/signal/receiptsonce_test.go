package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Each of a recipient's devices sends its own delivery receipt of a
// message: the message is told delivered to that recipient once. Another
// recipient's receipt, or the same one's read receipt, is told; a
// receipt naming a message told and one not is told for the new one.
// (Before: once per device.)
func TestDeliveryReceiptOncePerRecipient(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	m1 := s.sendToGroup(group, "first")
	m2 := s.sendToGroup(group, "second")

	receipt := func(number, uuid string, device int, r fakesignal.ReceiptMessage) {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: number, SourceUUID: uuid, SourceDevice: device, Timestamp: d.Now(), ReceiptMessage: &r})
	}
	isReceipt := func(ev *pb.Event) bool { return ev.GetReceipt() != nil }
	want := func(who string, kind pb.ReceiptEvent_Kind, ts ...int64) {
		t.Helper()
		ev := s.next(isReceipt)
		var wantIDs []string
		for _, x := range ts {
			wantIDs = append(wantIDs, itoa(x))
		}
		if ev.Sender.GetUserId() != who || ev.GetReceipt().Kind != kind || !slices.Equal(stamps(ev.GetReceipt().MessageIds), wantIDs) {
			t.Fatalf("receipt: %v, want %v of %s for %v", ev, kind, who, ts)
		}
	}
	delivered := func(ts ...int64) fakesignal.ReceiptMessage {
		return fakesignal.ReceiptMessage{IsDelivery: true, Timestamps: ts}
	}
	receipt(bob, bobACI, 1, delivered(m1))
	want(bob, pb.ReceiptEvent_KIND_DELIVERED, m1)
	receipt(bob, bobACI, 2, delivered(m1))
	receipt(bob, bobACI, 3, delivered(m1, m2))
	want(bob, pb.ReceiptEvent_KIND_DELIVERED, m2)
	receipt(bob, bobACI, 2, delivered(m1, m2))
	receipt(carol, carolACI, 1, delivered(m1))
	want(carol, pb.ReceiptEvent_KIND_DELIVERED, m1)
	receipt(bob, bobACI, 2, fakesignal.ReceiptMessage{IsRead: true, Timestamps: []int64{m1}})
	want(bob, pb.ReceiptEvent_KIND_READ, m1)
}
