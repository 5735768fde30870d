package bridge

import (
	"context"
	"testing"
	"time"

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
		answerNow(context.Background(), s, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
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

// TestRoomSyncCompletesJoinOutOfTurn: a join by ID that the login's room
// sync completes (its command said yes, the room became known) is
// written as soon as the sync's own presences are: the sync's turn in
// the room's order has ended by then. Before, the sync held its turn
// around all of setRoom, and the join, which takes a later turn, waited
// for it to time out (sendWait; made endless here, so that the wait
// shows as a hang).
func TestRoomSyncCompletesJoinOutOfTurn(t *testing.T) {
	old := sendWait
	sendWait = time.Hour
	defer func() { sendWait = old }()
	_, s, _, sent := occupantFixture(t)
	sent()
	s.mu.Lock()
	s.joins.m = map[joinKey]*joinBatch{{chatID: "g1"}: {chatID: "g1", joined: true, joins: []pendingJoin{tabletJoin(t)}}}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		answerNow(context.Background(), s, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
			Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}, {UserId: "echo-3", Nick: "Three"}}})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the sync's join is still waiting: for the sync's own turn, which ends after it")
	}
	got := sent()
	self := -1
	for i, st := range got {
		if st.To() == "alice@localhost/tablet" && st.Kind() == "presence" && st.ID() == "j1" {
			self = i
		}
	}
	if self < 0 {
		t.Fatalf("no self-presence for the join; sent %v", got)
	}
}
