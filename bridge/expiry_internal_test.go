package bridge

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// waitDeadline waits until the store holds a deadline for remoteID (a
// read-started timer started), or fails the test.
func waitDeadline(t *testing.T, tr *transport, remoteID string) {
	t.Helper()
	until := time.Now().Add(3 * time.Second)
	for time.Now().Before(until) {
		due, _, err := tr.db.DueExpiries(tr.name, time.Now().Add(24*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range due {
			if e.RemoteID == remoteID {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the read-started timer of %s never started", remoteID)
}

// TestExpiryReadInSameBatch: a read on the user's other device (a
// ReceiptEvent of theirs) that comes in the same batch as the message it
// covers (both queued while the gateway was away) starts the message's
// read-started timer. Its look-up must wait for the batch's message to
// be known in flight: before, it looked before the batch was, found
// nothing, and the timer never started.
func TestExpiryReadInSameBatch(t *testing.T) {
	for range 20 {
		tr := newTestTransport(t)
		captureDeliveries(tr)
		ctx, cancel := context.WithCancel(context.Background())
		go tr.commitLoop(ctx)
		ts := time.Now().Add(-time.Minute).UnixMicro()
		msg := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "m1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: ts,
			Sender:  &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "read me", ExpiresAfterReadSeconds: 30}}}
		read := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: ts + 1,
			Sender:  &pb.Sender{UserId: "me", IsFromMe: true},
			Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"m1"}}}}
		if err := <-tr.storeEvents(ctx, []*pb.Event{msg, read}); err != nil {
			t.Fatal(err)
		}
		waitDeadline(t, tr, "m1")
		cancel()
	}
}
