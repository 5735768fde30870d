package bridge

import (
	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
)

// The user's own availability in a room (XEP-0045 §7.7): a presence with
// <show/> or <status/> a joined resource sends to its occupant JID (Gajim
// does on every status change), or its join carries. The room reflects
// it to every joined resource as the user's occupant presence, with 110,
// as a MUC service does; it went nowhere before, and the client kept
// showing the user as they were. The user's resources share one nick, so
// the occupant shows the presence last set by any of them that is still
// joined. Nothing reaches the network: the contract's SetPresence is the
// login's own presence, which the user's account presence sets
// (inbound.go), not a presence in one group.

// selfShow is one resource's availability in a room.
type selfShow struct {
	show, status string
	seq          uint64 // order of the updates, the latest shown
}

// showOf reads a presence's <show/> and <status/>: show is one of
// XEP-0045's (RFC 6121's) values, "" for available.
func showOf(st *wire.Stanza) (show, status string) {
	if e := st.Child("", "show"); e != nil {
		switch e.Text {
		case "away", "chat", "dnd", "xa":
			show = e.Text
		}
	}
	if e := st.Child("", "status"); e != nil {
		status = e.Text
	}
	return show, status
}

// setShowLocked records res's availability and reports whether the
// occupant's presence, as the joined resources see it, changed. Call
// with r.mu held.
func (r *room) setShowLocked(res, show, status string) bool {
	before := r.shownLocked()
	if r.shows == nil {
		r.shows = map[string]selfShow{}
	}
	r.showSeq++
	r.shows[res] = selfShow{show: show, status: status, seq: r.showSeq}
	return !r.shownLocked().same(before)
}

// same reports whether two availabilities show the same.
func (a selfShow) same(b selfShow) bool { return a.show == b.show && a.status == b.status }

// dropShowLocked forgets res's availability (it left) and reports
// whether the occupant's presence changed for the resources still
// joined. Call with r.mu held, res already out of r.joined.
func (r *room) dropShowLocked(res string) bool {
	had, ok := r.shows[res]
	if !ok {
		return false
	}
	delete(r.shows, res)
	return len(r.joined) > 0 && !r.shownLocked().same(had)
}

// shownLocked is the availability the user's occupant shows: the latest
// set by a joined resource (seq 0 when none). Call with r.mu held.
func (r *room) shownLocked() selfShow {
	var out selfShow
	for res, sh := range r.shows {
		if r.joined[res] && sh.seq > out.seq {
			out = sh
		}
	}
	return out
}

// selfStatusLocked is the user's occupant presence, with its current
// availability, for every joined resource but except (status 110). Call
// with r.mu held.
func (s *session) selfStatusLocked(r *room, except string) [][]byte {
	me := s.selfOccupantLocked(r)
	var out [][]byte
	for _, res := range r.resourcesLocked() {
		if res != except {
			out = append(out, muc.Presence{Room: r.jid, To: s.user + "/" + res, Occupant: me, Statuses: []int{muc.StatusSelf}}.Bytes())
		}
	}
	return out
}
