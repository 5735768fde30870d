package bridge

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestReflectionAfterGroupDeleted: the network takes the user's message
// just before it deletes the group, and answers it after the deletion
// (the echo network's "delete-group" itself: its ChatRemovedEvent comes
// before the send's result). The reflection is not archived: the deleted
// group's archive is not made anew, with that message in it, shown in
// the history of a later room of the same chat ID. The message is still
// mapped (corrections and receipts of it find it). Before, the archive
// came back with the message (TestRoomDeletedEndToEnd failed now and
// then on it).
func TestReflectionAfterGroupDeleted(t *testing.T) {
	tr, s, r, _ := linkedRoom(t)
	ctx := context.Background()
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='m9' type='groupchat'><body>delete-group</body><origin-id xmlns='urn:xmpp:sid:0' id='o9'/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	tr.renderRoom(ctx, delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED})}, s)
	if n := archivedCount(t, tr, s); n != 0 {
		t.Fatalf("the deleted group's archive holds %d messages", n)
	}
	s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "net-m9", TimestampUnixMicro: time.Now().UnixMicro()}, &sentMsg{chatID: r.chatID, originID: "o9", id: "m9"}, nil)
	if n := archivedCount(t, tr, s); n != 0 {
		t.Errorf("a late reflection made the deleted group's archive anew: %d messages", n)
	}
	if ref, err := tr.lookupXMPP(ctx, s.LoginID(), r.chatID, "o9"); err != nil || ref.RemoteID != "net-m9" {
		t.Errorf("the message is not mapped: %v %+v", err, ref)
	}
}

// TestReflectionAfterRoomLeftArchived: a room that ended another way
// (the user kicked) keeps its archive, and a late reflection goes into
// it as before.
func TestReflectionAfterRoomLeftArchived(t *testing.T) {
	tr, s, r, _ := linkedRoom(t)
	ctx := context.Background()
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='m8' type='groupchat'><body>bye</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	tr.renderRoom(ctx, delivery{ev: groupEv(&pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED})}, s)
	before := archivedCount(t, tr, s)
	s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "net-m8", TimestampUnixMicro: time.Now().UnixMicro()}, &sentMsg{chatID: r.chatID, id: "m8"}, nil)
	if n := archivedCount(t, tr, s); n != before+1 {
		t.Errorf("the kicked user's last message: archive of %d messages, want %d", n, before+1)
	}
}
