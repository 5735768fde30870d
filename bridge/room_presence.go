package bridge

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A member's availability on the network (a contact's presence: online,
// away, a status text) shows on its occupant in each room (XEP-0045
// occupants carry <show/> and <status/>), at a join and when it changes.
// The session keeps the last presence of each contact (s.presence):
// nothing more is stored. A member offline on the network is still a
// member of the group, so still an occupant: it shows extended away.

// memberShow is the occupant <show/> and <status/> of a network presence
// ("" for available, or for no presence known).
func memberShow(p *pb.Presence) (show, status string) {
	switch p.GetShow() {
	case pb.PresenceShow_PRESENCE_SHOW_AWAY:
		show = "away"
	case pb.PresenceShow_PRESENCE_SHOW_XA, pb.PresenceShow_PRESENCE_SHOW_OFFLINE:
		show = "xa"
	case pb.PresenceShow_PRESENCE_SHOW_DND:
		show = "dnd"
	case pb.PresenceShow_PRESENCE_SHOW_CHAT:
		show = "chat"
	}
	return show, p.GetStatus()
}

// memberAvailability shows a contact's new presence on its occupant in
// every room it is a member of where the user has joined resources. The
// presences are built, and take their turn in the room's order of
// writes (room_order.go), under the room's lock, as the room's own
// presences are: a member who leaves meanwhile is not shown available
// after its removal, and a message of the member archived before is not
// overtaken (written at once, the presence went ahead of copies still
// waiting for their turn).
func (s *session) memberAvailability(ctx context.Context, userID string) {
	// Unsorted, unlike rooms.all: a connect's contact list calls this
	// for each contact.
	s.rooms.mu.Lock()
	rooms := make([]*room, 0, len(s.rooms.m))
	for _, r := range s.rooms.m {
		rooms = append(rooms, r)
	}
	s.rooms.mu.Unlock()
	for _, r := range rooms {
		r.mu.Lock()
		if _, ok := r.members[userID]; !ok || len(r.joined) == 0 || !r.presentedLocked(s.t, userID) {
			r.mu.Unlock()
			continue
		}
		out := r.occupantPresenceLocked(s, userID) // none where unchanged: room_occupant_sent.go
		if len(out) == 0 {
			r.mu.Unlock()
			continue
		}
		turn := r.sendTurnLocked()
		r.mu.Unlock()
		s.writeInTurn(ctx, turn, out)
	}
}
