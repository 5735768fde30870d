package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/muc"
)

// A member's avatar shows on its occupant in each room: the XEP-0153
// photo hash of its occupant presences (occupantLocked, room.go). When a
// fetch of the member's profile finds the picture changed (contacts.go:
// avatarFetched, announceAvatar), the occupant presences go again, with
// the new hash, to the joined resources of each room the member is an
// occupant of. Before, clients showed the old picture until the
// member's next presence. They take a turn in the room's order of writes
// (room_order.go), as the room's other presences do: not ahead of the
// copies of a message archived before.

// memberAvatarChanged sends member userID's occupant presences again,
// with the avatar hash the session now knows, in each room where the
// member is an occupant and the user has joined resources.
func (s *session) memberAvatarChanged(ctx context.Context, userID string) {
	for _, r := range s.rooms.all() {
		r.mu.Lock()
		if _, ok := r.members[userID]; !ok || len(r.joined) == 0 {
			r.mu.Unlock()
			continue
		}
		o := r.occupantLocked(s, userID)
		out := r.toJoinedLocked(s.user, func(to string) []byte {
			return muc.Presence{Room: r.jid, To: to, Occupant: o}.Bytes()
		})
		turn := r.sendTurnLocked()
		r.mu.Unlock()
		s.writeInTurn(ctx, turn, out)
	}
}
