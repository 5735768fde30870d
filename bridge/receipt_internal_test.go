package bridge

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestWaitReceipt: a receipt for a message whose send has not returned
// waits until that message is stored, also when another send of the chat
// ends first; one naming a message no send brings stops waiting when the
// chat's last send ends; a receipt for a stored message, or with no send
// under way, does not wait; no waiter is left behind.
func TestWaitReceipt(t *testing.T) {
	tr := newTestTransport(t)
	db := tr.db
	ctx := context.Background()
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	rc := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_DELIVERED, MessageIds: []string{"net-a"}}}}

	// Two sends under way in the chat: a (named by the receipt), then b.
	doneA := s.sending.start(sendKey("l", "bob", "*"), sendKey("l", "bob", "a"))
	doneB := s.sending.start(sendKey("l", "bob", "*"), sendKey("l", "bob", "b"))
	tr.recent.put(chatKey("l", "bob"), "a", recentMsg{receipt: true})
	w := tr.receiptWaits(rc)
	if w == nil {
		t.Fatal("a receipt for a send under way does not wait")
	}
	returned := make(chan struct{})
	go func() {
		w.wait(ctx)
		close(returned)
	}()
	// b ends first, without a result naming net-a.
	must(t, db.PutSent(ctx, store.MessageRef{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "net-b", ID: "b", FromMe: true}, ""))
	doneB()
	select {
	case <-returned:
		t.Fatal("stopped waiting when another send ended")
	case <-time.After(200 * time.Millisecond):
	}
	// a's result is stored (and signalled, as remember does) before a
	// ends: that is enough.
	must(t, db.PutSent(ctx, store.MessageRef{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "net-a", ID: "a", FromMe: true}, ""))
	s.stored.signal(refKey("l", "bob", "net-a"))
	select {
	case <-returned:
	case <-time.After(time.Second):
		t.Fatal("still waiting after the named message was stored")
	}
	if tr.receiptWaits(rc) != nil {
		t.Error("a receipt for a stored message waits")
	}
	doneA()

	// A send that never brings the message: the wait ends with the
	// chat's last send.
	rc2 := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"net-x"}}}}
	doneC := s.sending.start(sendKey("l", "bob", "*"))
	w = tr.receiptWaits(rc2)
	if w == nil {
		t.Fatal("a receipt for an unknown message does not wait while a send is under way")
	}
	returned = make(chan struct{})
	go func() {
		w.wait(ctx)
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("stopped waiting with a send under way")
	case <-time.After(100 * time.Millisecond):
	}
	doneC()
	select {
	case <-returned:
	case <-time.After(time.Second):
		t.Fatal("still waiting with no send under way")
	}
	if n := len(s.stored.m); n != 0 {
		t.Errorf("%d waiters left registered", n)
	}
	if tr.receiptWaits(rc2) != nil {
		t.Error("a receipt waits with no send under way")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
