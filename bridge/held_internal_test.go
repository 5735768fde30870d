package bridge

import (
	"context"
	"slices"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestHeldChat: an event naming a message the user is still sending waits
// for the send's result without holding up other chats; the events of its
// own chat that come after it keep their place behind it; one of those that
// must wait in turn holds the chat again. Idle chats' workers end.
func TestHeldChat(t *testing.T) {
	tr := newTestTransport(t)
	ctx := context.Background()
	got := make(chan string, 16)
	tr.out.handle = chatDelivery{t: tr, now: func(_ context.Context, d delivery) { got <- d.xid }}.deliver
	tr.out.idle = 20 * time.Millisecond
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	direct := func(xid, chat string, p any) {
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
		tr.out.push(deliveryAddr(ev), delivery{xid: xid, ev: ev})
	}
	want := func(step string, ids ...string) {
		t.Helper()
		var g []string
		for range ids {
			select {
			case id := <-got:
				g = append(g, id)
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: delivered %v, want %v", step, g, ids)
			}
		}
		if !slices.Equal(g, ids) {
			t.Fatalf("%s: delivered %v, want %v", step, g, ids)
		}
	}
	// nothingMore checks that no other delivery came: after another
	// chat's event went through, the held chat still gave nothing.
	nothingMore := func(step string) {
		t.Helper()
		direct("dave-"+step, "dave", &pb.MessageEvent{Text: "marker"})
		want(step+": marker", "dave-"+step)
		if len(got) != 0 {
			t.Fatalf("%s: %s delivered while its chat should be held", step, <-got)
		}
	}
	stored := func(remote, id string) {
		t.Helper()
		must(t, tr.db.PutSent(ctx, store.MessageRef{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: remote, ID: id, FromMe: true}, ""))
		s.stored.signal(refKey("l", "bob", remote))
	}

	done := s.sending.start(sendKey("l", "bob", "*"))
	direct("edit-a", "bob", &pb.EditEvent{TargetId: "net-a", Text: "fixed"})
	direct("msg-1", "bob", &pb.MessageEvent{Text: "after the edit"})
	direct("carol-1", "carol", &pb.MessageEvent{Text: "another chat"})
	direct("reply-b", "bob", &pb.MessageEvent{Text: "re", ReplyToId: "net-b"})
	direct("react-a", "bob", &pb.ReactionEvent{TargetId: "net-a", Emojis: []string{"👍"}})
	want("while the send runs", "carol-1")
	nothingMore("while the send runs")

	// net-a's result is stored: the edit goes, then the message behind
	// it; the reply names net-b, still unknown with the send under way,
	// so it holds the chat again, and the reaction stays behind it.
	stored("net-a", "a")
	want("net-a stored", "edit-a", "msg-1")
	direct("msg-2", "bob", &pb.MessageEvent{Text: "later"})
	nothingMore("behind the reply")

	// The send ends without bringing net-b: nothing will, so the reply
	// goes (its render finds no target), and the reaction after it.
	done()
	want("send ended", "reply-b", "react-a", "msg-2")

	// Nothing under way: an event naming an unknown message does not wait.
	direct("edit-x", "bob", &pb.EditEvent{TargetId: "net-x"})
	want("no send", "edit-x")
	if n := len(s.stored.m); n != 0 {
		t.Errorf("%d waiters left registered", n)
	}
	// Idle, the chats' workers end.
	for deadline := time.Now().Add(10 * time.Second); tr.out.active() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d chats still have a worker", tr.out.active())
		}
	}
}

// TestReplayedPrivateMessageGoesToMember: a file the user sent as a
// private message in a room (to room/nick), handled again after a
// restart from its stanza alone, goes to the member's chat its record
// names. It went to the stanza's address, the group's own chat: posted
// to every member.
func TestReplayedPrivateMessageGoesToMember(t *testing.T) {
	tr, s, _ := roomFixture(t)
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost/One' id='pm1' type='chat'><x xmlns='jabber:x:oob'><url>https://example.org/a.jpg</url></x></message>`)
	if err != nil {
		t.Fatal(err)
	}
	to, err := s.replayTarget(st, store.HeldMessage{LoginID: s.LoginID(), ChatID: "echo-1"})
	want, _ := tr.puppetJID("echo-1")
	if err != nil || to.String() != want.String() {
		t.Fatalf("replayed to %v (%v), want the member's chat %s", to, err, want)
	}
}
