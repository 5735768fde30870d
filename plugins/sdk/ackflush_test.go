package sdk

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An ack is in the journal file once it is taken, not at the next flush
// (the next event streamed, the next command answered): a plugin that
// emitted nothing since and crashes does not replay what the host has
// stored. The host deduplicates by event_id alone, so a replayed event
// without one (typing, presence, a login state) reached the user twice.
// Before, the ack waited in memory and the typing event came again after
// the crash.
func TestAckOnDiskBeforeCrash(t *testing.T) {
	dir := t.TempDir()
	f := newFakeTransport()
	c, crash := startServerCrash(t, f, dir)
	r := openEvents(t, c)
	typing := &pb.Event{LoginId: "l", ChatId: "c", Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_COMPOSING}}}
	done := make(chan error, 1)
	go func() { done <- f.Host().EmitWait(context.Background(), typing) }()
	ev := r.next(t)
	if err := r.stream.Send(&pb.EventAck{UpToSeq: ev.Seq}); err != nil {
		t.Fatal(err)
	}
	// EmitWait returns once the plugin took the ack; crash waits for the
	// queue's lock, which the ack holds until it is written.
	if err := <-done; err != nil {
		t.Fatalf("EmitWait: %v", err)
	}
	crash()

	f2 := newFakeTransport()
	c2 := startServer(t, f2, dir)
	r2 := openEvents(t, c2)
	f2.Host().Emit(msgEvent("after"))
	if ev := r2.next(t); ev.GetMessage().GetText() != "after" || ev.Seq != 2 {
		t.Fatalf("after the crash the first event is %v, want the new message with seq 2 (the acknowledged typing replayed)", ev)
	}
}
