package bridge

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestWaitReceipt: a receipt for a message whose send has not returned
// waits for that send, also when another send of the chat ends first,
// and no longer; with no send under way it does not wait.
func TestWaitReceipt(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tr := &transport{name: "echo", db: db, log: slog.New(slog.DiscardHandler),
		newRefs: map[string]store.MessageRef{}, newXIDs: map[string]string{}}
	ctx := context.Background()
	rc := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_DELIVERED, MessageIds: []string{"net-a"}}}}

	// Two sends under way in the chat: a (named by the receipt), then b.
	doneA := tr.sending.start(sendKey("l", "bob", "*"), sendKey("l", "bob", "a"))
	doneB := tr.sending.start(sendKey("l", "bob", "*"), sendKey("l", "bob", "b"))
	tr.recent.put(chatKey("l", "bob"), "a", recentMsg{receipt: true})
	if !tr.receiptMustWait(rc) {
		t.Fatal("a receipt for a send under way does not wait")
	}
	returned := make(chan struct{})
	go func() {
		tr.waitReceipt(ctx, rc)
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
	must(t, db.PutSent(ctx, store.MessageRef{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "net-a", ID: "a", FromMe: true}, ""))
	doneA()
	select {
	case <-returned:
	case <-time.After(time.Second):
		t.Fatal("still waiting after the named send ended")
	}
	if tr.receiptMustWait(rc) {
		t.Error("a receipt waits with no send under way")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
