package sdk

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// bigEvent is a message event over MaxMessageBytes: a file put inline.
func bigEvent() *pb.Event {
	ev := msgEvent("big")
	ev.GetMessage().Attachments = []*pb.Attachment{{Name: "big.bin", Source: &pb.Attachment_Data{Data: make([]byte, MaxMessageBytes)}}}
	return ev
}

// An event over the size of a gRPC message is dropped at Emit, with an
// error from EmitWait, and the events after it go on. Before, it was
// journaled and queued: its send failed at every try, the stream broke
// each time, and no event after it, of any login, ever reached the host.
func TestEventTooLargeDropped(t *testing.T) {
	f := newFakeTransport()
	c := startServer(t, f, t.TempDir())
	r := openEvents(t, c)
	f.Host().Emit(bigEvent())
	if err := f.Host().EmitWait(testContext(t), bigEvent()); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("EmitWait of an event over the message size: %v, want it refused as too large", err)
	}
	f.Host().Emit(msgEvent("next"))
	if ev := r.next(t); ev.GetMessage().GetText() != "next" || ev.Seq != 1 {
		t.Fatalf("got %v, want next with seq 1", ev)
	}
}

// A history batch over the size of a gRPC message is refused by
// SendHistory rather than queued, where it broke the History stream at
// every try.
func TestHistoryTooLargeRefused(t *testing.T) {
	f := newFakeTransport()
	startServer(t, f, t.TempDir())
	b := &pb.HistoryBatch{LoginId: "l", ChatId: "c", Events: []*pb.Event{bigEvent()}}
	if err := f.Host().SendHistory(context.Background(), b); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("SendHistory of a batch over the message size: %v, want it refused as too large", err)
	}
}
