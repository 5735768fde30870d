package bridge

import (
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestTypingWatch: a composing ends paused after its timeout unless the
// sender said anything else in the chat meanwhile (a message, another
// state); a repeat renews it; each sender and chat has its own; the
// user's own typing from another device and a stopped transport end
// nothing.
func TestTypingWatch(t *testing.T) {
	var w typingWatch
	ended := make(chan *pb.Event, 10)
	paused := func(ev *pb.Event) { ended <- ev }
	typing := func(chat, from string, st pb.TypingState, ms uint32) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: chat, Sender: &pb.Sender{UserId: from},
			Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: st, TimeoutMs: ms}}}
	}
	msg := func(chat, from string) *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: chat, Sender: &pb.Sender{UserId: from},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
	}
	const ms = 50
	composing := pb.TypingState_TYPING_STATE_COMPOSING

	w.seen(typing("c", "bob", composing, ms), paused)
	w.seen(typing("c", "carol", composing, ms), paused)
	w.seen(msg("c", "carol"), paused) // carol sent: nothing to end
	w.seen(typing("d", "dave", composing, ms), paused)
	w.seen(typing("d", "dave", pb.TypingState_TYPING_STATE_PAUSED, 0), paused)
	own := typing("c", "me", composing, ms)
	own.Sender.IsFromMe = true
	w.seen(own, paused)
	ev := <-ended
	if ev.ChatId != "c" || ev.GetSender().GetUserId() != "bob" || ev.GetTyping().GetState() != pb.TypingState_TYPING_STATE_PAUSED {
		t.Fatalf("ended %v, want bob paused in c", ev)
	}
	select {
	case ev := <-ended:
		t.Fatalf("ended %v too: only bob went silent", ev)
	case <-time.After(4 * ms * time.Millisecond):
	}

	// A repeat renews: bob says composing again and again, each time
	// within the timeout; he is never ended meanwhile.
	for range 6 {
		w.seen(typing("c", "bob", composing, 4*ms), paused)
		select {
		case ev := <-ended:
			t.Fatalf("ended %v while bob kept typing", ev)
		case <-time.After(ms * time.Millisecond):
		}
	}
	<-ended

	w.seen(typing("c", "bob", composing, ms), paused)
	w.stop()
	select {
	case ev := <-ended:
		t.Fatalf("ended %v after the stop", ev)
	case <-time.After(4 * ms * time.Millisecond):
	}
}

// TestTypingNotEndedByReceipt: what a contact does besides writing (their
// app marks the user's message read, they react or correct) while typing
// does not end their composing: it still ends paused after its timeout. A read
// receipt, sent as the contact's open chat shows the user's message,
// stopped the timer, and the client showed them typing until their next
// chat state.
func TestTypingNotEndedByReceipt(t *testing.T) {
	var w typingWatch
	ended := make(chan *pb.Event, 10)
	paused := func(ev *pb.Event) { ended <- ev }
	from := &pb.Sender{UserId: "bob"}
	w.seen(&pb.Event{LoginId: "l", ChatId: "c", Sender: from,
		Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_COMPOSING, TimeoutMs: 50}}}, paused)
	for _, ev := range []*pb.Event{
		{LoginId: "l", ChatId: "c", Sender: from, Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"m"}}}},
		{LoginId: "l", ChatId: "c", Sender: from, Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: "m", Emojis: []string{"👍"}}}},
		{LoginId: "l", ChatId: "c", Sender: from, Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: "m", Text: "fixed"}}},
	} {
		if w.seen(ev, paused) {
			t.Errorf("%v ended the composing", kindOf(ev))
		}
	}
	select {
	case ev := <-ended:
		if ev.GetTyping().GetState() != pb.TypingState_TYPING_STATE_PAUSED {
			t.Fatalf("ended with %v, want paused", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read receipt and a reaction while typing: never paused")
	}
}
