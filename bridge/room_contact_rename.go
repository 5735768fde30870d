package bridge

import "passerelle.im/passerelle/bridge/muc"

// renamedContactNick is the occupant nick change a contact's rename makes
// in room r (XEP-0045 §7.6: unavailable with 303 and the new nick, then
// available under it), for each joined resource. Only a member whose nick
// came from the contact's name (memberNames: it has no nick in the
// group) is renamed: a group nick is the group's own, which the rename
// does not change. Before, the old name stayed until the room's next
// sync.
func (s *session) renamedContactNick(r *room, id, name string) [][]byte {
	if name == "" {
		name = id // as memberNames
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[id]
	if !ok || m.GetNick() != "" || r.names[id] == name {
		return nil
	}
	return r.renameLocked(s, id, name)
}

// renameLocked gives member id the name name and, when that changes
// their nick, the XEP-0045 §7.6 nick change each of the user's joined
// resources is to see. Call with r.mu held.
func (r *room) renameLocked(s *session, id, name string) [][]byte {
	return r.renameFromLocked(s, id, r.occupantLocked(s, id), name)
}

// renameFromLocked is renameLocked for a member who was before.
func (r *room) renameFromLocked(s *session, id string, before muc.Occupant, name string) [][]byte {
	r.names[id] = name
	now, changed := r.nicks.Assign(id, name)
	if !changed || !r.presentedLocked(s.t, id) {
		return nil // the same, or never shown (room_crowd.go)
	}
	return r.nickChangeLocked(s, id, before, now) // room_occupant_sent.go
}
