package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRedeliveryKeepsXMPPID: the gateway crashes after delivering an
// event and before storing it; the plugin sends the event again to the
// restarted gateway, which delivers it again: with the same XMPP id, so
// that clients drop the duplicate, and the message map records that id.
func TestRedeliveryKeepsXMPPID(t *testing.T) {
	first := newTestTransport(t)
	first.idPrefix = "first"
	ev := func() *pb.Event {
		return &pb.Event{LoginId: "l", ChatId: "bob", EventId: "net-1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
	}
	ctx := context.Background()
	firstOut := captureDeliveries(first)
	first.storeEvents(ctx, []*pb.Event{ev()})
	before := (<-firstOut).xid
	// The crash: the commit never ran. The restarted gateway, same store.
	again := newTestTransport(t)
	again.db, again.idPrefix = first.db, "again"
	againOut := captureDeliveries(again)
	res := again.storeEvents(ctx, []*pb.Event{ev()})
	after := (<-againOut).xid
	if before == "" || after != before {
		t.Fatalf("delivered as %q, again as %q after the crash: want the same id", before, after)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go again.commitLoop(cctx)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	r, err := again.db.LookupRemote("echo", "l", "bob", "net-1")
	if err != nil || r.ID != after {
		t.Fatalf("message map: %+v, %v; want the id %q", r, err, after)
	}

	// Other messages, chats and logins get other ids; no collision with
	// the ids of the user's own messages, which clients choose.
	ids := map[string]bool{after: true}
	for _, k := range [][3]string{{"l", "bob", "net-2"}, {"l", "carol", "net-1"}, {"m", "bob", "net-1"}, {"l\x00bob", "", "net-1"}} {
		id := xmppIDFor(k[0], k[1], k[2])
		if ids[id] {
			t.Errorf("%q: id %q taken already", k, id)
		}
		if id != xmppIDFor(k[0], k[1], k[2]) {
			t.Errorf("%q: two ids", k)
		}
		ids[id] = true
	}
	if !strings.HasPrefix(after, "pe-") {
		t.Errorf("id %q lacks the prefix of derived ids", after)
	}
}
