package bridge

import "passerelle.im/passerelle/bridge/muc"

// Each joined resource keeps the occupant presence it was last sent of
// each member (room.sent): a presence the same as that one is not sent
// again. Several paths tell a member's occupant (a member event, a room
// sync, the member's availability, a late fetch of its avatar that a
// join raced) and each of them may find nothing the client sees changed:
// a presence again is noise to every client, and a client taking the
// next presence for the change it asked read a stale one. One check,
// here, for all of them.
//
// A join starts its resource afresh (it gets every occupant), a
// resource that leaves or goes takes its record with it, and a member
// out of the room (left, kicked, moved to another ID) is dropped from
// every record: its next presence goes, whatever it says. Nick changes
// and removals go out as before; a nick change records the occupant
// under its new nick.

// occupantPresenceLocked is member id's occupant presence to each
// joined resource that was not sent it as it is now.
func (r *room) occupantPresenceLocked(s *session, id string) [][]byte {
	return r.occupantToJoinedLocked(s, id, nil)
}

// occupantChangedLocked is occupantPresenceLocked for a member the
// joined resources knew as before (a member event, a room sync): a
// resource with no record of it is taken to have before.
func (r *room) occupantChangedLocked(s *session, id string, before muc.Occupant) [][]byte {
	return r.occupantToJoinedLocked(s, id, &before)
}

// occupantToJoinedLocked is member id's occupant presence to each joined
// resource whose record (else before, when not nil) is not it as it is
// now.
func (r *room) occupantToJoinedLocked(s *session, id string, before *muc.Occupant) [][]byte {
	o := r.occupantLocked(s, id)
	var out [][]byte
	for _, res := range r.resourcesLocked() {
		if p := r.presenceToLocked(s.user, res, id, o, before); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// presenceToLocked is the available presence of occupant o (member id)
// to the user's resource res, nil when res was last sent just that (or,
// with no record, when it is before, not nil); it records it.
func (r *room) presenceToLocked(user, res, id string, o muc.Occupant, before *muc.Occupant) []byte {
	last, ok := r.sent[res][id]
	if !ok && before != nil {
		last, ok = *before, true
	}
	if ok && last == o {
		return nil
	}
	r.noteSentLocked(res, id, o)
	return muc.Presence{Room: r.jid, To: user + "/" + res, Occupant: o}.Bytes()
}

// nickChangeLocked is the nick change (XEP-0045 §7.6) of member id,
// occupant o under its old nick, to now, to each joined resource; each
// records the occupant under its new nick.
func (r *room) nickChangeLocked(s *session, id string, o muc.Occupant, now string) [][]byte {
	var out [][]byte
	after := o
	after.Nick = now
	for _, res := range r.resourcesLocked() {
		out = append(out, muc.NickChange(r.jid, s.user+"/"+res, o, now, false)...)
		r.noteSentLocked(res, id, after)
	}
	return out
}

// noteSentLocked records that resource res was sent occupant o of
// member id, available (a presence or a nick change's second half).
func (r *room) noteSentLocked(res, id string, o muc.Occupant) {
	if !r.joined[res] {
		return // a resource that is not in the room keeps no record
	}
	if r.sent == nil {
		r.sent = map[string]map[string]muc.Occupant{}
	}
	m := r.sent[res]
	if m == nil {
		m = map[string]muc.Occupant{}
		r.sent[res] = m
	}
	m[id] = o
}

// freshSentLocked starts resource res's record afresh: a join, which
// sends it every occupant.
func (r *room) freshSentLocked(res string) { delete(r.sent, res) }

// dropSentLocked drops the record of resource res, out of the room.
func (r *room) dropSentLocked(res string) { delete(r.sent, res) }

// forgetSentLocked drops member id, out of the room, from every record.
func (r *room) forgetSentLocked(id string) {
	for _, m := range r.sent {
		delete(m, id)
	}
}
