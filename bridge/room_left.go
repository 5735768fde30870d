package bridge

import (
	"context"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A join of a group the user is no longer a member of (left with /leave
// or on another device, removed by an admin) is refused the way XEP-0045
// §7.2.5 refuses a user not on a members-only room's member list:
// registration-required, saying that the user left. Before, it was
// item-not-found, which clients take for a room that does not exist. A
// ban is §7.2.7's forbidden. The network does not say it later (it
// simply knows no such group of the user's), so the session remembers
// the groups it saw the user leave, and keeps them in the store (bucket
// l of the login, at most store.MaxLeftGroups, the oldest going): after
// a restart a join is refused the same way. A room of the group again
// (the user was added back, or joined it anew by the network's
// JoinChat) forgets it.

// leftGroup is why the user is out of a group: the condition and words
// a join gets, and when it was noted.
type leftGroup struct {
	cond wire.Condition
	text string
	at   time.Time
}

// loadLeft reads the login's groups left from the store, once: before
// the session's first room (setRoom), so that a group that is a room
// again is forgotten in the store too, and before any refusal.
func (s *session) loadLeft() {
	rs := &s.rooms
	rs.leftOnce.Do(func() {
		m, err := s.t.db.LeftGroups(s.t.name, s.LoginID())
		if err != nil {
			// Joins of the groups left before are answered as rooms
			// that do not exist until the user leaves them again.
			s.t.log.Warn("the groups left are unreadable", "user", s.user, "err", err)
		}
		rs.mu.Lock()
		defer rs.mu.Unlock()
		for chatID, l := range m {
			// Nothing is noted before this load (noteLeft waits for it).
			if rs.m[chatID] != nil {
				continue // a room again
			}
			if rs.left == nil {
				rs.left = map[string]leftGroup{}
			}
			rs.left[chatID] = leftGroup{cond: wire.Condition(l.Cond), text: l.Text, at: l.At}
		}
	})
}

// noteLeft records that the user is out of the group chatID.
func (s *session) noteLeft(ctx context.Context, chatID string, cond wire.Condition, text string) {
	s.loadLeft()
	l := leftGroup{cond: cond, text: text, at: time.Now()}
	rs := &s.rooms
	rs.mu.Lock()
	if rs.left == nil {
		rs.left = map[string]leftGroup{}
	}
	if _, ok := rs.left[chatID]; !ok && len(rs.left) >= store.MaxLeftGroups {
		dropOldestEntry(rs.left, func(l leftGroup) time.Time { return l.at })
	}
	rs.left[chatID] = l
	rs.mu.Unlock()
	sl := store.LeftGroup{Cond: string(cond), Text: text, At: l.at}
	if err := s.t.db.PutLeftGroup(context.WithoutCancel(ctx), s.t.name, s.LoginID(), chatID, sl); err != nil {
		s.t.log.Warn("a group left not stored", "user", s.user, "chat", chatID, "err", err)
	}
}

// noteRemoved records the user's leaving of the group chatID that ev,
// the network's end of the group, says: left (not moved elsewhere),
// kicked or banned. A deleted or moved group is not noted: a join of
// its room says so instead (destroyedRoom, movedAway).
func (s *session) noteRemoved(ctx context.Context, chatID string, ev *pb.ChatRemovedEvent) {
	switch ev.GetReason() {
	case pb.ChatRemovedEvent_REASON_LEFT:
		if ev.GetReplacedBy() == "" {
			s.noteLeft(ctx, chatID, wire.RegistrationRequired, "you left this group")
		}
	case pb.ChatRemovedEvent_REASON_KICKED:
		s.noteLeft(ctx, chatID, wire.RegistrationRequired, "you were removed from this group")
	case pb.ChatRemovedEvent_REASON_BANNED:
		s.noteLeft(ctx, chatID, wire.Forbidden, "you are banned from this group")
	}
}

// forgetLeft drops the group chatID from the groups left: it is a room
// of the user's again.
func (s *session) forgetLeft(ctx context.Context, chatID string) {
	s.loadLeft()
	rs := &s.rooms
	rs.mu.Lock()
	_, had := rs.left[chatID]
	delete(rs.left, chatID)
	rs.mu.Unlock()
	if !had {
		return // the usual case: no write
	}
	if err := s.t.db.DeleteLeftGroup(context.WithoutCancel(ctx), s.t.name, s.LoginID(), chatID); err != nil {
		s.t.log.Warn("a group left not forgotten", "user", s.user, "chat", chatID, "err", err)
	}
}

// leftReason is why the user is out of the group chatID; ok false when
// the session did not see the user leave it.
func (s *session) leftReason(chatID string) (leftGroup, bool) {
	s.loadLeft()
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
	return s.refuseLeft(ctx, st, chatID, to, "")
}

// refuseLeftMessage answers st, a groupchat message to the room of the
// group chatID or a private message to one of its occupants, when the
// session saw the user leave that group: not-acceptable, XEP-0045's
// answer to a non-occupant, on which Conversations self-pings the room
// and joins again, to learn why it may not. Before, a groupchat was
// item-not-found, and a private message went on to the network as a
// direct message to the group's own ID. False when the session saw no
// such leave.
func (s *session) refuseLeftMessage(ctx context.Context, st *wire.Stanza, chatID string, to jid.JID) bool {
	return s.refuseLeft(ctx, st, chatID, to, wire.NotAcceptable)
}

// refuseLeft answers st with why the user is out of the group chatID, in
// cond ("": the leave's own), when the session saw the user leave it.
func (s *session) refuseLeft(ctx context.Context, st *wire.Stanza, chatID string, to jid.JID, cond wire.Condition) bool {
	l, ok := s.leftReason(chatID)
	if !ok {
		return false
	}
	if cond == "" {
		cond = l.cond
	}
	s.t.send(ctx, wire.ErrorReply(st, cond, l.text+": you are no longer a member of "+to.Bare().String()))
	return true
}

// leftDiscoInfo answers disco#info (p, with no node or the reserved
// nick's) on the room of a group the user left, or that moved, as a
// room's: clients (Gajim, Conversations, Dino) look before they join,
// and a contact's answer had Gajim say "not a group chat" and offer a
// one-to-one chat with the group's ID. The join then gets the refusal
// that says why (refuseLeftJoin, movedAway). False when the session saw
// no such group.
func (s *session) leftDiscoInfo(ctx context.Context, st *wire.Stanza, chatID string, p *wire.Element) bool {
	if _, left := s.leftReason(chatID); !left && s.movedTo(chatID) == "" {
		return false
	}
	w := wire.Result(st)
	if p.Attr("node") == muc.NodeReservedNick {
		muc.WriteReservedNick(w, "") // no member: no nick of theirs
		s.t.send(ctx, w.Bytes())
		return true
	}
	w.Start("query", wire.NSDiscoInfo)
	w.Start("identity", "").Attr("category", "conference").Attr("type", "text").Attr("name", wire.XMLSafe(chatID)).End()
	for _, f := range []string{wire.NSDiscoInfo, muc.NS, "muc_persistent", "muc_membersonly", "muc_hidden", "muc_nonanonymous"} {
		w.Start("feature", "").Attr("var", f).End()
	}
	w.End()
	s.t.send(ctx, w.Bytes())
	return true
}
