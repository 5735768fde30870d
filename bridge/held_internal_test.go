package bridge

import (
	"context"
	"slices"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestHeldChat: an event naming a message the user is still sending waits
// for the send's result without holding up other chats; the events of its
// own chat that come after it keep their place behind it; one of those that
// must wait in turn holds the chat again.
func TestHeldChat(t *testing.T) {
	tr := newTestTransport(t)
	ctx := context.Background()
	var got []string
	l := &deliveryLoop{t: tr, held: map[string][]delivery{}, released: make(chan string),
		now: func(_ context.Context, d delivery) { got = append(got, d.xid) }}
	direct := func(xid, chat string, p any) delivery {
		ev := &pb.Event{LoginId: "l", ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_DIRECT}
		switch p := p.(type) {
		case *pb.EditEvent:
			ev.Payload = &pb.Event_Edit{Edit: p}
		case *pb.ReactionEvent:
			ev.Payload = &pb.Event_Reaction{Reaction: p}
		case *pb.MessageEvent:
			ev.Payload = &pb.Event_Message{Message: p}
		default:
			t.Fatalf("no payload for %T", p)
		}
		return delivery{xid: xid, ev: ev}
	}
	want := func(step string, ids ...string) {
		t.Helper()
		if !slices.Equal(got, ids) {
			t.Fatalf("%s: delivered %v, want %v", step, got, ids)
		}
	}
	release := func(step string) {
		t.Helper()
		select {
		case key := <-l.released:
			l.release(ctx, key)
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: the held chat was not released", step)
		}
	}
	stored := func(remote, id string) {
		t.Helper()
		must(t, tr.db.PutSent(ctx, store.MessageRef{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: remote, ID: id, FromMe: true}, ""))
		tr.stored.signal(refKey("l", "bob", remote))
	}

	done := tr.sending.start(sendKey("l", "bob", "*"))
	l.deliver(ctx, direct("edit-a", "bob", &pb.EditEvent{TargetId: "net-a", Text: "fixed"}))
	l.deliver(ctx, direct("msg-1", "bob", &pb.MessageEvent{Text: "after the edit"}))
	l.deliver(ctx, direct("carol-1", "carol", &pb.MessageEvent{Text: "another chat"}))
	l.deliver(ctx, direct("reply-b", "bob", &pb.MessageEvent{Text: "re", ReplyToId: "net-b"}))
	l.deliver(ctx, direct("react-a", "bob", &pb.ReactionEvent{TargetId: "net-a", Emojis: []string{"👍"}}))
	want("while the send runs", "carol-1")

	// net-a's result is stored: the edit goes, then the message behind
	// it; the reply names net-b, still unknown with the send under way,
	// so it holds the chat again, and the reaction stays behind it.
	stored("net-a", "a")
	release("net-a stored")
	want("net-a stored", "carol-1", "edit-a", "msg-1")
	l.deliver(ctx, direct("msg-2", "bob", &pb.MessageEvent{Text: "later"}))
	want("behind the reply", "carol-1", "edit-a", "msg-1")

	// The send ends without bringing net-b: nothing will, so the reply
	// goes (its render finds no target), and the reaction after it.
	done()
	release("send ended")
	want("send ended", "carol-1", "edit-a", "msg-1", "reply-b", "react-a", "msg-2")
	if len(l.held) != 0 {
		t.Errorf("chats still held: %v", l.held)
	}

	// Nothing under way: an event naming an unknown message does not wait.
	l.deliver(ctx, direct("edit-x", "bob", &pb.EditEvent{TargetId: "net-x"}))
	want("no send", "carol-1", "edit-a", "msg-1", "reply-b", "react-a", "msg-2", "edit-x")
	if n := len(tr.stored.m); n != 0 {
		t.Errorf("%d waiters left registered", n)
	}
}
