package sdk

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

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
	b := &pb.HistoryBatch{LoginId: "l", ChatId: "c", Cursor: "c", Events: []*pb.Event{bigEvent()}}
	if err := f.Host().SendHistory(context.Background(), b); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("SendHistory of a batch over the message size: %v, want it refused as too large", err)
	}
}

// The size of a history batch is checked as it goes on the wire: with
// the login, chat and is_backfill SendHistory puts on each of its events.
// Before, it was checked as the plugin handed it over, and a batch just
// under the limit then, over it once filled in, was queued and broke the
// History stream at every try.
func TestHistoryTooLargeOnceFilledRefused(t *testing.T) {
	f := newFakeTransport()
	startServer(t, f, t.TempDir())
	const n = 4096
	evs := make([]*pb.Event, n)
	for i := range evs {
		evs[i] = &pb.Event{EventId: "e", Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: strings.Repeat("x", MaxMessageBytes/n-64)}}}
	}
	b := &pb.HistoryBatch{LoginId: "login", ChatId: "chat", Cursor: "c", Events: evs}
	// Pad the first text until the batch, as handed over, is just under
	// the limit, with room for its seq.
	for proto.Size(b) < MaxMessageBytes-64 {
		m := evs[0].GetMessage()
		m.Text += strings.Repeat("x", max(1, (MaxMessageBytes-64-proto.Size(b))/2))
	}
	if proto.Size(b) > MaxMessageBytes-32 {
		t.Fatalf("the batch is %d bytes before it is filled in, over the limit: the test's sizes are off", proto.Size(b))
	}
	err := f.Host().SendHistory(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("SendHistory of a batch over the message size once its events carry their login and chat (%d bytes): %v, want it refused as too large", proto.Size(b), err)
	}
}
