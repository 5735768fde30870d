package bridge

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A chat description the network gave when asked (the login's ChatList
// at each connect, ChatInfo) is taken beside the chat's worker, and the
// presences of the changes it brings (a member who joined while the
// gateway was away) are written by setRoom once out of the room's lock.
// Written in no order, they could follow the copies of a message the
// worker rendered meanwhile from that very member (rendered once the
// member was in): a message from an occupant not in the room. So the
// description takes a turn in the room's order of writes
// (room_order.go) before it changes the room: later messages wait for
// its presences, which wait for the copies of earlier ones.

// setRoomInTurn is setRoom in the room's order of writes, for a room
// the session knows; a new room shows nothing (no resource joined it).
func (s *session) setRoomInTurn(ctx context.Context, c *pb.Chat) *room {
	var turn sendTurn
	if r := s.rooms.get(c.GetChatId()); r != nil {
		r.mu.Lock()
		turn = r.sendTurnLocked()
		r.mu.Unlock()
		turn.wait()
	}
	defer turn.done()
	return s.setRoom(ctx, c)
}
