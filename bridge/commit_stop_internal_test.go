package bridge

import (
	"context"
	"errors"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestDeliveredDuringStopIsCommitted: the plugin host's event stream
// outlives the gateway's stop by its drain, and a message it hands over
// then is delivered: it must be committed too, so that the plugin's
// replay of it at the next start (it was not acknowledged) is dropped as
// a duplicate. The commit loop ended with the stop and the batch stayed
// in its queue: the user got the message twice (the Python plugin's
// TestThroughGateway, round 1 given round 0's echo).
func TestDeliveredDuringStopIsCommitted(t *testing.T) {
	tr, _ := aliceOnEcho(t)
	delivered := captureDeliveries(tr)
	ev := &pb.Event{LoginId: "l", ChatId: "bob", EventId: "net-late", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "the last echo"}}}
	ctx, cancel := context.WithCancel(context.Background())
	var res <-chan error
	drain := func(ctx context.Context) {
		<-ctx.Done()
		// The host's drain: its streams' own context is still alive.
		res = tr.storeEvents(context.Background(), []*pb.Event{ev})
		<-delivered
	}
	cancel()
	tr.runFed(ctx, drain)
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("the batch delivered during the stop: %v", err)
		}
	default:
		t.Fatal("the batch delivered during the stop was not committed")
	}
	seen, err := tr.db.Seen("echo", []store.InboundEvent{{LoginID: "l", ChatID: "bob", DedupID: "net-late", DedupByRef: true}})
	if err != nil || !seen[0] {
		t.Errorf("the plugin's replay at the next start is not seen as a duplicate: %v %v", seen, err)
	}
	if _, err := tr.db.LookupRemote("echo", "l", "bob", "net-late"); errors.Is(err, store.ErrNotFound) {
		t.Errorf("no map entry for the message delivered during the stop")
	}
}
