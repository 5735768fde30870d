package bridge

import (
	"context"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
)

// probeOccupant answers a presence probe from one of the user's
// resources to an occupant JID of r as Prosody does: a resource not
// joined is told it is not connected (not-acceptable), so that it joins
// again; an occupant's current presence goes to the prober, the user's
// own with 110; a nick nobody has gets nothing. A big group's member the
// join did not present is presented, to every joined resource
// (room_crowd.go): else the prober alone knew it, and its leaving,
// which goes to the presented only, never reached the prober.
func (s *session) probeOccupant(ctx context.Context, st *wire.Stanza, r *room, from jid.JID, nick string) {
	to := from.String()
	r.mu.Lock()
	joined := r.joined[from.Resourcepart()]
	var out [][]byte
	var turn sendTurn
	if joined {
		switch id, ok := r.nicks.MemberOf(nick); {
		case nick == r.ownNickLocked(s) || ok && id == selfKey:
			out = [][]byte{muc.Presence{Room: r.jid, To: to, Occupant: s.selfOccupantLocked(r), Statuses: []int{muc.StatusSelf}}.Bytes()}
		case ok && r.members[id] != nil && !r.presentedLocked(s.t, id):
			out = r.revealLocked(s, id)
			turn = r.sendTurnLocked() // in the room's order, as a member's words
		case ok && r.members[id] != nil:
			// Asked: sent even if the same, and recorded (room_occupant_sent.go).
			o := r.occupantLocked(s, id)
			r.noteSentLocked(from.Resourcepart(), id, o)
			out = [][]byte{muc.Presence{Room: r.jid, To: to, Occupant: o}.Bytes()}
		}
	}
	r.mu.Unlock()
	if !joined {
		s.t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, notConnected))
		return
	}
	s.writeInTurn(ctx, turn, out)
}
