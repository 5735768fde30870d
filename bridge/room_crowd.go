package bridge

import (
	"cmp"
	"slices"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Big groups (WhatsApp communities, Telegram supergroups: thousands to
// hundreds of thousands of members). Each occupant presence of a join
// goes through the server, about 0.1 ms each, under the room's lock: a
// join of 20,000 took 2 s, and the client got 20,000 presences
// (docs/performance.md, "Big groups"). So a join presents at most
// transport.joinOccupants members (room_join_occupants): the owners and
// admins first, then by nick, as slidge presents a few participants and
// the rest as they speak. A member not presented yet
//
//   - shows (its presence first) when it writes, reacts, edits,
//     removes another's message (a moderation names it), answers the
//     user privately from its occupant JID (room_pm.go), or the user
//     writes to it privately; its chat states and read markers before
//     that are not sent,
//   - is listed by the room's disco#items, paged (room_items.go),
//   - joining the group, shows while fewer than the cap are shown,
//   - leaving, changing its nick or its availability sends nothing: the
//     client never saw it, and a flood of a big group's joins and leaves
//     does not reach the client past the cap.
//
// r.presented is the set presented to the joined resources since the first
// of them joined; every resource that joins gets all of it, so the
// user's clients see the same occupants, and the ones a later join adds
// (under the cap, after presented members left) go to the others too.

// joinOccupantsLocked returns the members a join presents, by nick, and
// marks them shown; first: no other resource of the user is joined.
// added are those it marks that were not shown before while another
// resource is joined (members the shown left room for, under the cap):
// the other resources are to get them too, or their words would come
// to them from occupants they never saw.
func (t *transport) joinOccupantsLocked(r *room, first bool) (sel, added []string) {
	ids := make([]string, 0, len(r.members))
	for id := range r.members {
		ids = append(ids, id)
	}
	limit := t.joinOccupants
	if limit <= 0 {
		return sortedByNick(r, ids), nil
	}
	if first || r.presented == nil {
		r.presented = make(map[string]bool, min(len(ids), limit))
	}
	if len(ids) > limit {
		ids = sortedByNick(r, ids)
		slices.SortStableFunc(ids, func(a, b string) int {
			return cmp.Compare(presentRank(r.members[a]), presentRank(r.members[b]))
		})
	}
	for _, id := range ids {
		if len(r.presented) >= limit {
			break
		}
		if !r.presented[id] && !first {
			added = append(added, id)
		}
		r.presented[id] = true
	}
	sel = make([]string, 0, len(r.presented))
	for id := range r.presented {
		if _, ok := r.members[id]; ok { // a mark outliving its member presents no one
			sel = append(sel, id)
		}
	}
	return sortedByNick(r, sel), sortedByNick(r, added)
}

// presentRank orders members for a capped join: those who run the group
// first.
func presentRank(m *pb.Member) int {
	switch {
	case m.GetAffiliation() == pb.Affiliation_AFFILIATION_OWNER:
		return 0
	case m.GetAffiliation() == pb.Affiliation_AFFILIATION_ADMIN:
		return 1
	case m.GetRole() == pb.Role_ROLE_MODERATOR:
		return 2
	}
	return 3
}

// presentedLocked reports whether the joined resources were given member
// id's presence.
func (r *room) presentedLocked(t *transport, id string) bool {
	return t.joinOccupants <= 0 || r.presented[id]
}

// unseenLocked reports whether id is a member, not the user, whose
// presence the joined resources were not given: its chat states and read
// markers are not sent, as from a nick they never saw.
func (r *room) unseenLocked(t *transport, id string) bool {
	if id == "" || id == selfKey || r.presentedLocked(t, id) {
		return false
	}
	_, ok := r.members[id]
	return ok
}

// admitLocked marks member id, new to the group, shown while fewer than
// the cap are, and reports whether it is.
func (r *room) admitLocked(t *transport, id string) bool {
	if r.presentedLocked(t, id) {
		return true
	}
	if len(r.presented) >= t.joinOccupants {
		return false
	}
	if r.presented == nil {
		r.presented = map[string]bool{}
	}
	r.presented[id] = true
	return true
}

// forgetPresentedLocked drops member id, out of the group, from the presented.
func (r *room) forgetPresentedLocked(id string) { delete(r.presented, id) }

// revealLocked is the presence of member id to the joined resources when
// they were not given it yet (it is about to speak), and marks it shown.
func (r *room) revealLocked(s *session, id string) [][]byte {
	if _, ok := r.members[id]; !ok || r.presentedLocked(s.t, id) || len(r.joined) == 0 {
		return nil
	}
	if r.presented == nil {
		r.presented = map[string]bool{}
	}
	r.presented[id] = true
	return r.occupantPresenceLocked(s, id) // room_occupant_sent.go
}

// occupantItems answers disco#items on the room: to a joined resource
// every member as an occupant JID, the user's own nick too, by nick and
// paged (RSM, room_items.go), so a client of a big group finds the
// members a capped join did not present; to anyone else an empty list
// (XEP-0045 §6.5 tells non-occupants nothing of the occupants).
func (s *session) occupantItems(st *wire.Stanza, r *room, from jid.JID) []byte {
	r.mu.Lock()
	var jids, nicks []string
	if s != nil && r.joined[from.Resourcepart()] {
		ids := make([]string, 0, len(r.members))
		for id := range r.members {
			ids = append(ids, id)
		}
		self := r.ownNickLocked(s)
		at := false
		for _, id := range sortedByNick(r, ids) {
			n := r.nickOfLocked(id)
			if !at && self < n {
				jids, nicks, at = append(jids, muc.OccupantJID(r.jid, self)), append(nicks, self), true
			}
			jids, nicks = append(jids, muc.OccupantJID(r.jid, n)), append(nicks, n)
		}
		if !at {
			jids, nicks = append(jids, muc.OccupantJID(r.jid, self)), append(nicks, self)
		}
	}
	r.mu.Unlock()
	if jids == nil {
		w := wire.Result(st)
		w.Start("query", wire.NSDiscoItems).End()
		return w.Bytes()
	}
	return s.t.pagedItems(st, jids, nicks)
}
