package bridge

import (
	"context"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's own nick in a room, and the user's own member entry.
//
// A nick change (XEP-0045 §7.6: a presence without the MUC <x/> to the
// room's JID with another nick, from a joined resource) becomes a SetNick
// command (feature set_nick); the nick changes only when the network
// answers with a MemberEvent RENAMED of the user's own member, shown to
// every joined resource as a nick change of the user (unavailable with
// 303 and 110 and the new nick, then available with 110). A nick another
// occupant holds is refused with conflict; without set_nick the change
// is refused with not-acceptable (§7.6 lets a service refuse it).
//
// The user's own member is the one marked is_self; in a list where none
// is, the one whose user ID is the login ID (as before is_self). Its
// group nick, when it has one, is the user's nick in the room.

// occupantPresence is a presence without the MUC <x/> from one of the
// user's resources to an occupant JID of r: a nick change when it names
// another nick than the user's, else a status change (room_status.go);
// to the room's bare JID, a status change of a joined resource (ignored
// from one not joined, as Prosody does).
func (s *session) occupantPresence(ctx context.Context, st *wire.Stanza, r *room, from, to jid.JID) {
	t := s.t
	want := to.Resourcepart()
	r.mu.Lock()
	joined := r.joined[from.Resourcepart()]
	self := r.ownNickLocked(s)
	if want == "" && joined {
		// To the room's bare JID: as to the user's nick, as Prosody's
		// MUC takes it (some clients send their status there).
		want = self
	}
	taken := r.nickTakenLocked(want)
	var out [][]byte
	var turn sendTurn
	if joined && want == self {
		if show, status := showOf(st); r.setShowLocked(from.Resourcepart(), show, status) {
			// In the room's order of writes (room_order.go): not ahead
			// of a message archived before still waiting for its turn.
			out = s.selfStatusLocked(r, "")
			turn = r.sendTurnLocked()
		}
	}
	r.mu.Unlock()
	s.writeInTurn(ctx, turn, out)
	if !joined && want != "" {
		// A resource that believes it is joined (the gateway restarted,
		// or left it in a sync it missed): answered as Prosody answers a
		// desynced one, so that the client joins again (XEP-0410).
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, notConnected))
		return
	}
	if !joined || want == "" || want == self {
		return
	}
	if cond, text := nickRefusal(s.features().GetSetNick(), taken, want, r.jid, t.displayName()); cond != "" {
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	// The change's <show/> and <status/> are the resource's availability
	// (XEP-0045 §7.6 lets a nick change carry them, as Gajim's does):
	// kept now, they are in the occupant's presence under the new nick.
	// Dropped, the user showed available there until the next status
	// change.
	resource := from.Resourcepart()
	show, status := showOf(st)
	r.mu.Lock()
	changed := r.joined[resource] && r.setShowLocked(resource, show, status)
	r.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	cmd := &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_SetNick{SetNick: &pb.SetNick{Nick: want}}}
	t.host.Send(cmd, func(res *pb.CommandResult) {
		if res.Error == nil {
			return // the network's RENAMED brings the new nick (selfMember)
		}
		t.send(ctx, wire.ErrorReply(st, conditionOf(res.Error.Code), res.Error.Text))
		if changed {
			// No rename to show the new availability: a status change
			// under the nick kept.
			r.mu.Lock()
			out := s.selfStatusLocked(r, "")
			turn := r.sendTurnLocked()
			r.mu.Unlock()
			s.writeInTurn(ctx, turn, out)
		}
	})
}

// notConnected is the text of the error to a stanza of a resource not
// joined to the room, Prosody's words.
const notConnected = "You are not currently connected to this chat"

// nickTakenLocked reports whether another member holds nick: not the
// user, nor a guest (a sender who is no member), whose nick yields to
// the user's once the network renames the user (muc.Nicks).
func (r *room) nickTakenLocked(nick string) bool {
	holder, ok := r.nicks.MemberOf(nick)
	return ok && holder != selfKey && !r.nicks.IsGuest(holder)
}

// nickRefusal is why a nick change to want is refused ("" when it is
// not): another occupant's nick is a conflict (XEP-0045 §7.6.3); a
// network without set_nick does not change nicks, not acceptable.
func nickRefusal(setNick, takenByOther bool, want, roomJID, network string) (wire.Condition, string) {
	switch {
	case takenByOther:
		return wire.Conflict, want + " is another occupant's nick in " + roomJID
	case !setNick:
		return wire.NotAcceptable, network + " does not let the gateway change your nick"
	}
	return "", ""
}

// isSelfLocked reports whether m is the user's own member: marked so, or
// the member the room knows as the user, or (unless others of the list
// are marked) the login's own ID. marked: a member of m's list has
// is_self. Call with r.mu held.
func (s *session) isSelfLocked(r *room, m *pb.Member, marked bool) bool {
	if m.GetIsSelf() {
		return true
	}
	id := m.GetUserId()
	return id != "" && (id == r.selfID || (!marked && id == s.LoginID()))
}

// anySelf reports whether a member list marks the user's own member.
func anySelf(ms []*pb.Member) bool {
	for _, m := range ms {
		if m.GetIsSelf() {
			return true
		}
	}
	return false
}

// takeSelfLocked takes the user's own member entry: its ID, and its group
// nick as the user's nick; with show, it returns the nick change for the
// joined resources. Call with r.mu held.
func (s *session) takeSelfLocked(r *room, m *pb.Member, show bool) [][]byte {
	r.selfListed = true
	if m.GetIsSelf() && m.GetUserId() != "" {
		r.selfID = m.UserId
	}
	if m.GetNick() == "" {
		return nil
	}
	if r.selfNick == "" {
		r.selfNick, _ = r.nicks.Assign(selfKey, m.Nick)
		return nil
	}
	old := r.selfNick
	now, _ := r.nicks.Assign(selfKey, m.Nick)
	r.selfNick = now
	if now == old || !show {
		return nil
	}
	me := s.selfOccupantLocked(r)
	me.Nick = old
	var out [][]byte
	for _, res := range r.resourcesLocked() {
		out = append(out, muc.NickChange(r.jid, s.user+"/"+res, me, now, true)...)
	}
	return out
}

// askedNickLocked takes nick, the one a join asked, as the user's in r
// when the network has not named the user's member (a chat described
// without members, as an IRC channel before its NAMES ended) and no
// resource is joined under the nick the room has: a room that enforces
// no nick gives the one asked (XEP-0045 §7.2), as a join by ID does
// (setRoom). Once the network names the user's member, its nick is the
// user's, and a join asking another is told it (210). Another member's
// nick is not taken either. Call with r.mu held.
func (r *room) askedNickLocked(nick string) {
	if r.selfListed || len(r.joined) > 0 || nick == "" || nick == r.selfNick || r.nickTakenLocked(nick) {
		return
	}
	r.selfNick, _ = r.nicks.Assign(selfKey, nick)
}

// selfOccupantLocked is the user's own occupant, as a join shows it: the
// affiliation and role the network gives the user (an owner of a group
// they created, an admin), so that clients offer what the user may do;
// a visitor where the user may not post.
func (s *session) selfOccupantLocked(r *room) muc.Occupant {
	sh := r.shownLocked()
	me := muc.Occupant{Nick: r.ownNickLocked(s), JID: s.user, Affiliation: muc.Affiliation(r.selfAff), Role: muc.Role(r.selfRole),
		OccupantID: s.selfOccupantID(r), Show: sh.show, Status: sh.status}
	if (r.readOnly || r.typ == pb.ChatType_CHAT_TYPE_CHANNEL) && r.selfRole != pb.Role_ROLE_MODERATOR {
		me.Role = muc.RoleVisitor
	}
	return me
}

// takeStandingLocked takes the user's affiliation and role from their own
// member entry; with show, a change is a self-presence to each joined
// resource (XEP-0045 §9.7: an occupant's new standing). Call with r.mu
// held.
func (s *session) takeStandingLocked(r *room, m *pb.Member, show bool) [][]byte {
	if m.GetAffiliation() == r.selfAff && m.GetRole() == r.selfRole {
		return nil
	}
	r.selfAff, r.selfRole = m.GetAffiliation(), m.GetRole()
	if !show {
		return nil
	}
	me := s.selfOccupantLocked(r)
	var out [][]byte
	for _, res := range r.resourcesLocked() {
		out = append(out, muc.SelfPresence(r.jid, s.user+"/"+res, me, false, ""))
	}
	return out
}

// selfMemberEvent is a MemberEvent of the user's own member: a rename is
// the user's new nick, a role change their new standing; the rest comes
// as ChatRemoved or a chat update. Either is newer than a chat answer
// asked before it (room_member_news.go).
func (s *session) selfMemberEvent(r *room, me *pb.MemberEvent) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.selfListed = true
	if me.Kind != pb.MemberEvent_KIND_RENAMED {
		if m := me.GetMember(); m.GetIsSelf() && m.GetUserId() != "" {
			r.selfID = m.UserId
		}
		if me.Kind == pb.MemberEvent_KIND_ROLE_CHANGED {
			s.noteMemberNewsLocked(r, selfKey)
			return s.takeStandingLocked(r, me.GetMember(), true) // made admin, or no longer
		}
		return nil
	}
	r.ownNickLocked(s)
	if me.GetMember().GetNick() != "" {
		s.noteMemberNewsLocked(r, selfKey)
	}
	return s.takeSelfLocked(r, me.GetMember(), true)
}
