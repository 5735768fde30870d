package bridge

import (
	"context"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/puppet"
)

// A resource of the user that went away without leaving a room (its
// server crashed, or lost the link to the gateway when the client left,
// so the unavailable presence never came) stays joined: every room
// message to it comes back as an error. The first such bounce from the
// resource to the room takes it out (XEP-0045, "Service removes user
// because of error response"), as if it had left, but with none of the
// presences (status 333) the XEP has for it: nobody is there to read
// them. The user's other resources stay joined and see nothing of it,
// but the availability their occupant shows now, as when one leaves
// (leaveResource).

// roomBounce takes a resource out of a room when st, an error from it to
// the room or an occupant of it, says it is gone (muc.Gone). It reports
// whether it did.
func (t *transport) roomBounce(ctx context.Context, st *wire.Stanza) bool {
	if !muc.Gone(st) {
		return false
	}
	s, r, from, _ := t.errorRoom(st)
	if r == nil {
		return false
	}
	res := from.Resourcepart()
	r.mu.Lock()
	was := r.joined[res]
	shown := r.shownLocked()
	delete(r.joined, res)
	delete(r.shows, res)
	r.dropSentLocked(res) // room_occupant_sent.go
	var others [][]byte
	if was && len(r.joined) > 0 && !r.shownLocked().same(shown) {
		// Its availability was the occupant's: the others see the one
		// shown now, as when it leaves.
		others = s.selfStatusLocked(r, "")
	}
	r.mu.Unlock()
	if was {
		cond, _ := st.ErrorCondition()
		t.log.Debug("room resource gone: no longer joined", "user", s.user, "resource", res, "room", r.jid, "kind", st.Kind(), "condition", cond)
	}
	for _, b := range others {
		t.send(ctx, b)
	}
	return was
}

// errorRoom is the session and room of st, an error from a user's
// resource to a room of the gateway or an occupant of it, with st's from
// and to; r is nil when st is no such error (a contact's address is the
// one-to-one path's).
func (t *transport) errorRoom(st *wire.Stanza) (s *session, r *room, from, to jid.JID) {
	from, ferr := t.parseJID(st.From())
	to, terr := t.parseJID(st.To())
	if ferr != nil || terr != nil || from.Resourcepart() == "" || to.Localpart() == "" || to.Domainpart() != t.domain {
		return nil, nil, from, to
	}
	chatID, err := puppet.FromJID(to)
	if err != nil {
		return nil, nil, from, to
	}
	if s = t.session(from.Bare().String()); s == nil {
		return nil, nil, from, to
	}
	return s, s.rooms.get(chatID), from, to
}
