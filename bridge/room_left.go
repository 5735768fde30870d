package bridge

import (
	"context"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
)

// A join of a group the user is no longer a member of (left with /leave
// or on another device, removed by an admin) is refused the way XEP-0045
// §7.2.5 refuses a user not on a members-only room's member list:
// registration-required, saying that the user left. Before, it was
// item-not-found, which clients take for a room that does not exist. A
// ban is §7.2.7's forbidden. The session remembers the groups it saw the
// user leave since the start, up to maxLeft of them (the network does
// not say it later: it simply knows no such group of the user's); a room
// of the group again (the user was added back, or joined it anew by the
// network's JoinChat) forgets it.

// maxLeft bounds the groups left a session remembers.
const maxLeft = 256

// leftGroup is why the user is out of a group: the condition and words
// a join gets.
type leftGroup struct {
	cond wire.Condition
	text string
}

// noteLeft records that the user is out of the group chatID.
func (s *session) noteLeft(chatID string, cond wire.Condition, text string) {
	rs := &s.rooms
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.left == nil {
		rs.left = map[string]leftGroup{}
	}
	if _, ok := rs.left[chatID]; !ok && len(rs.left) >= maxLeft {
		for k := range rs.left { // any one: the bound only keeps memory small
			delete(rs.left, k)
			break
		}
	}
	rs.left[chatID] = leftGroup{cond: cond, text: text}
}

// leftReason is why the user is out of the group chatID; ok false when
// the session did not see the user leave it.
func (s *session) leftReason(chatID string) (leftGroup, bool) {
	rs := &s.rooms
	rs.mu.Lock()
	defer rs.mu.Unlock()
	l, ok := rs.left[chatID]
	return l, ok
}

// refuseLeftJoin answers a join of the group chatID, which the gateway
// does not know as a room (nor the network, asked), with the user's
// leaving when the session saw it; false when it did not.
func (s *session) refuseLeftJoin(ctx context.Context, st *wire.Stanza, chatID string, to jid.JID) bool {
	l, ok := s.leftReason(chatID)
	if !ok {
		return false
	}
	s.t.send(ctx, wire.ErrorReply(st, l.cond, l.text+": you are no longer a member of "+to.Bare().String()))
	return true
}
