package bridge

import (
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestRoomSyncPresenceInTurn: a member the login's room sync brings (a
// ChatList or ChatInfo answer after a reconnect, taken beside the chat's
// worker) has their presence written in the room's order of writes:
// after the copies of a message archived before it, and so before the
// copies of any message rendered after it, such as the new member's
// first one. Before, the sync wrote the presence once out of the room's
// lock, in no order: here at once, past the message on its way, and as
// well after the member's first message, which a client then showed
// from an occupant who was not in the room.
func TestRoomSyncPresenceInTurn(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	sent()
	out, turn := renderHeld(t, tr, s, "on its way")
	whileHeld(t, tr, r, out, turn, func() {
		s.setRoomFromAnswer(context.Background(), &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
			Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}, {UserId: "echo-3", Nick: "Three"}}})
	})
	got := sent()
	msg := indexOf(got, isHeld)
	in := indexOf(got, func(st *wire.Stanza) bool {
		return st.Kind() == "presence" && st.From() == "g1@echo.localhost/Three" && st.Type() == ""
	})
	if msg < 0 || in < 0 || msg > in {
		t.Fatalf("message at %d, the synced member's presence at %d: want the message first; sent %v", msg, in, got)
	}
}
