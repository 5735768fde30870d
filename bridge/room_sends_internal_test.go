package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomCopiesWrittenInStanzaIDOrder: a member's message archived
// just before the reflection of the user's own reaches the server
// before it, though the chat's outbound worker writes it a moment after
// the reflection was archived. The reflection was written at once,
// ahead of the earlier stanza-id: a client that dropped between the two
// and caught up after the later one missed the earlier message.
func TestRoomCopiesWrittenInStanzaIDOrder(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	ev := groupEv(&pb.MessageEvent{})
	ev.EventId, ev.Sender = "net-1", &pb.Sender{UserId: "echo-1"}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "from a member"}}
	var turn sendTurn
	live := tr.renderRoom(ctx, delivery{ev: ev, turn: &turn}, s)
	if len(live) == 0 {
		t.Fatal("the member's message rendered to nobody")
	}
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='own-1' type='groupchat'><body>my own</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	reflected := make(chan struct{})
	go func() {
		s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "own-net-1"}, nil, nil)
		close(reflected)
	}()
	// The worker writes its copies a moment later, as under load.
	time.Sleep(200 * time.Millisecond)
	turn.wait()
	for _, b := range live {
		tr.send(ctx, b)
	}
	turn.done()
	select {
	case <-reflected:
	case <-time.After(10 * time.Second):
		t.Fatal("the reflection was never written")
	}
	var order []string
	for _, got := range sent() {
		if b, ok := got.Body(); ok && got.Kind() == "message" {
			order = append(order, b)
		}
	}
	if len(order) != 2*len(live) || order[0] != "from a member" || order[len(order)-1] != "my own" {
		t.Fatalf("written in the order %q, want the member's message (the earlier stanza-id) to every resource, then the reflection", order)
	}
	for i, b := range order {
		if want := "from a member"; i < len(live) && b != want {
			t.Errorf("copy %d is %q, want %q", i, b, want)
		}
	}
}

// TestRoomDeliveryEndsItsTurn: the outbound worker's delivery of a
// member's message ends the room's turn it took, so the next copies
// (the user's reflection) need not wait for it. deliverNow deferred
// the turn's end as it was before render took one: a no-op, every later
// copy of the room waited its full bound and went out of order.
func TestRoomDeliveryEndsItsTurn(t *testing.T) {
	tr, _, r, sent := linkedRoom(t)
	ctx := context.Background()
	ev := groupEv(&pb.MessageEvent{})
	ev.EventId, ev.Sender = "net-2", &pb.Sender{UserId: "echo-2"}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "delivered"}}
	tr.deliverNow(ctx, delivery{ev: ev, xid: "x-2"})
	r.sends.mu.Lock()
	head, next := r.sends.head, r.sends.next
	r.sends.mu.Unlock()
	if next == 0 || head != next {
		t.Fatalf("after the delivery the room's turns stand at %d of %d taken, want every turn taken ended", head, next)
	}
	n := 0
	for _, got := range sent() {
		if b, ok := got.Body(); ok && b == "delivered" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("the member's message went to %d resources, want 2", n)
	}
}

// TestRoomMarkerAfterTheMessageItNames: a member's read marker naming
// the user's own message reaches the server after that message's
// reflection, though the reflection waits its turn behind earlier
// copies of the room. The marker took no turn: archived, the reflection
// is named at once, and the marker went out ahead of it, naming a
// stanza-id the user's clients had not seen (they drop such a marker).
func TestRoomMarkerAfterTheMessageItNames(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	// The outbound worker's copies of an earlier message, not written yet.
	r.mu.Lock()
	earlier := r.sendTurnLocked()
	r.mu.Unlock()
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='own-1' type='groupchat'><body>my own</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	archived := make(chan struct{})
	reflected := make(chan struct{})
	go func() {
		defer close(reflected)
		s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "own-net-1"}, nil, func() { close(archived) })
	}()
	<-archived
	ev := groupEv(&pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{"own-net-1"}})
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		tr.deliverNow(ctx, delivery{ev: ev, xid: "x-read"})
	}()
	time.Sleep(300 * time.Millisecond)
	earlier.done()
	for _, ch := range []chan struct{}{reflected, delivered} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("the reflection or the marker was never written")
		}
	}
	var order []string
	for _, got := range sent() {
		switch {
		case got.Kind() != "message":
		case bodyIs(got, "my own"):
			order = append(order, "reflection")
		case got.Child(nsMarkers, "displayed") != nil:
			order = append(order, "marker")
		}
	}
	if len(order) != 4 || order[0] != "reflection" || order[1] != "reflection" {
		t.Fatalf("written in the order %v, want the reflection to both resources, then the marker naming it", order)
	}
}
