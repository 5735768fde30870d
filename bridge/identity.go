package bridge

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// A contact's ID moves (contract v2's IdentityEvent): WhatsApp learns the
// phone number of a LID-only contact, Signal that of an ACI. The contact
// the user knows as old@ is new@ from now on: one roster entry, the new
// one, with the name the user knew; the direct chat's message map under
// the new chat ID, so that a reply, correction, reaction or retraction of
// a message received before names it to the network with its own ID and
// metadata; the member in each room, with its nick.
//
// The event is stored in the outbox and leaves it only once handled, so
// a crash in the middle handles it again: the roster goes first (pushes
// and subscriptions that change nothing the second time), then the store
// moves the puppet and the chat in one transaction. The same event again
// (a plugin that replays it) finds no old puppet and nothing to move: the
// contact is updated, which for a contact already shown changes nothing.
// An event of someone the user has as no contact under either ID moves
// their records and adds no roster item.

// identityEvent applies one IdentityEvent, in the old chat's outbound
// worker (deliveryAddr), after that chat's earlier events.
func (s *session) identityEvent(ctx context.Context, d delivery, ie *pb.IdentityEvent) {
	t, l := s.t, s.Login()
	c := ie.GetContact()
	oldID, newID := ie.GetOldUserId(), c.GetUserId()
	if newID == "" {
		t.log.Warn("identity event without the contact's new ID; ignored", "user", s.user, "old_user_id", oldID)
		return
	}
	newJID, err := t.puppetJID(newID)
	if err != nil {
		t.log.Warn("identity event: the new ID has no JID; ignored", "user", s.user, "user_id", newID, "err", err)
		return
	}
	if oldID != "" && puppet.ValidID(oldID) != nil {
		// No contact can have had it: the event only adds the new one.
		t.log.Warn("identity event: the old ID is no valid ID; the contact is only added", "user", s.user, "user_id", newID)
		oldID = ""
	}
	if oldID == newID || oldID == "" {
		s.contactEvent(ctx, &pb.Event{LoginId: l.LoginID, Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: c}}})
		return
	}
	// The old chat's messages delivered before this event are in the
	// message map once this event's batch (and so every earlier one) is.
	// (A shutdown meanwhile still commits it: commitLoop.)
	if d.commit != nil {
		select {
		case <-d.commit.done:
		case <-time.After(10 * time.Second):
			t.log.Warn("identity event: earlier events still not stored; moving what is", "user", s.user, "old_user_id", oldID)
		}
	}
	oldP, oerr := t.db.GetPuppet(t.name, l.LoginID, oldID)
	newP, nerr := t.db.GetPuppet(t.name, l.LoginID, newID)
	hadOld, hadNew := oerr == nil, nerr == nil
	name := identityName(c, oldP, hadOld, newP, hadNew)
	c = proto.CloneOf(c)
	if c.Presence == nil {
		c.Presence = s.presence(oldID) // the contact is as it was
	}
	if hadOld {
		// The new entry first, then the old one out: the user never
		// has neither. It keeps the old entry's name, which may be the
		// user's own.
		shown := name
		if oldJID, err := t.puppetJID(oldID); err == nil && t.privileges().rosterRead() {
			if n := t.rosterName(ctx, l.UserJID, oldJID.String()); n != "" {
				shown = n
			}
		}
		s.announceContact(ctx, c, shown, hadNew)
		s.dropContact(ctx, oldID)
	}
	// Once the roster changed, the store must follow, even at shutdown.
	// Someone the user has no contact of under either ID (a group's
	// member known by another ID, a stranger): their messages, dedup
	// keys and occupant-id follow, and no puppet is made (MoveKnownOnly:
	// in the move's own write; put, then deleted, it was left by a crash
	// between), nor a roster item, which the next contact list would take
	// out again (a contact flapping in and out of the roster).
	res, err := t.db.MoveContact(context.WithoutCancel(ctx), oldID, store.Puppet{Transport: t.name, LoginID: l.LoginID, UserID: newID, Name: name}, s.occupantMove(oldID, newID), store.MoveKnownOnly)
	if err != nil {
		t.log.Error("identity event: the contact's move not stored", "user", s.user, "old_user_id", oldID, "user_id", newID, "err", err)
		return
	}
	if !hadOld && hadNew {
		// Moved already (a replay): the contact is updated, as a contact
		// event would.
		if newP.Name != name {
			s.announceContact(ctx, c, name, hadNew)
		} else if c.Presence != nil && !s.presenceShown(newID, c.Presence) {
			s.setContactPresence(ctx, newID, c.Presence)
		}
	}
	s.moveMemory(oldID, newID)
	s.aliases.moved(t, newID, res.Alias)
	t.recent.moveChat(chatKey(l.LoginID, oldID), chatKey(l.LoginID, newID))
	for _, r := range s.rooms.all() {
		for _, b := range s.moveMember(r, oldID, newID) {
			t.send(ctx, b)
		}
	}
	t.log.Info("contact moved to a new ID", "user", s.user, "old_user_id", oldID, "user_id", newID, "jid", newJID.String(),
		"had_old", hadOld, "messages", res.Messages, "dedup_keys", res.Dedup, "cursor", res.Cursor, "occupant_alias", res.Alias, "deadlines", res.Deadlines, "read_timers", res.ReadTimers)
}

// occupantMove is what a move does with the occupant-ids of the new ID
// (room_occupant_id.go): a room member's follow it to its new ID, unless
// the new ID is a member already, shown with its own. The store cannot
// tell of members that are no contacts.
func (s *session) occupantMove(oldID, newID string) store.OccupantMove {
	occ := store.OccupantAuto
	for _, r := range s.rooms.all() {
		r.mu.Lock()
		_, oldIn := r.members[oldID]
		_, newIn := r.members[newID]
		r.mu.Unlock()
		switch {
		case newIn:
			return store.OccupantKeep
		case oldIn:
			occ = store.OccupantFollow
		}
	}
	return occ
}

// rosterName is the name of one item of the user's roster, read through
// XEP-0356; "" when it has none or cannot be read.
func (t *transport) rosterName(ctx context.Context, user, item string) string {
	q, err := t.rosterGet(ctx, user)
	if err != nil || q == nil {
		return ""
	}
	for _, it := range q.Children {
		if it.Attr("jid") == item {
			return it.Attr("name")
		}
	}
	return ""
}

// identityName is the name of a moved contact: the network's, when it
// gives one; else the one the user knew (the old puppet's, unless that
// was only its ID); else the new puppet's; else what a contact's name is.
func identityName(c *pb.Contact, oldP store.Puppet, hadOld bool, newP store.Puppet, hadNew bool) string {
	for _, n := range []string{c.Name, c.Nickname, c.Username} {
		if n != "" {
			return n
		}
	}
	if hadOld && oldP.Name != "" && oldP.Name != oldP.UserID {
		return oldP.Name
	}
	if hadNew && newP.Name != "" && newP.Name != newP.UserID {
		return newP.Name
	}
	return contactName(c)
}

// moveMemory moves what the session remembers of a contact (its last
// presence shown, its avatar) to its new ID.
func (s *session) moveMemory(oldID, newID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.presences[oldID]; ok {
		if _, has := s.presences[newID]; !has {
			s.presences[newID] = p
		}
		delete(s.presences, oldID)
	}
	for _, m := range []map[string]string{s.avatars, s.avatarIDs} {
		if v, ok := m[oldID]; ok {
			if _, has := m[newID]; !has {
				m[newID] = v
			}
			delete(m, oldID)
		}
	}
}

// moveMember moves a member of r to its new ID: its nick stays unless its
// name was its old ID; the joined resources see the occupant's new real
// JID (or its nick change), with the occupant-id it had (the session's
// aliases already moved). A member listed under both IDs is one
// occupant, the new one, with its own occupant-id (store.OccupantKeep).
// It returns the stanzas for the joined resources.
func (s *session) moveMember(r *room, oldID, newID string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subjectBy == oldID {
		r.subjectBy = newID
	}
	m, ok := r.members[oldID]
	if !ok {
		return nil
	}
	before := r.occupantLocked(s, oldID)
	shown := r.presentedLocked(s.t, oldID)
	name := r.names[oldID]
	r.nicks.Remove(oldID)
	delete(r.members, oldID)
	delete(r.names, oldID)
	// The presented mark moves with the member (room_crowd.go): left on
	// the old ID, a later join presented an ID no longer a member, with
	// no nick, which Prosody takes for an invalid from and closes the
	// component's stream over.
	r.forgetPresentedLocked(oldID)
	r.forgetSentLocked(oldID) // room_occupant_sent.go
	if _, both := r.members[newID]; both {
		if !shown {
			return nil
		}
		return r.toJoinedLocked(s.user, func(to string) []byte {
			return muc.Removed(r.jid, to, before, muc.Left, "", false)
		})
	}
	m = proto.CloneOf(m)
	m.UserId = newID
	if m.Nick == "" && (name == "" || name == oldID) {
		name = s.memberNames([]*pb.Member{m})[newID]
	}
	r.members[newID] = m
	r.names[newID] = name
	now, _ := r.nicks.Assign(newID, name)
	if !shown {
		return nil // never presented: the client has nothing to move
	}
	if r.presented != nil {
		r.presented[newID] = true
	}
	after := r.occupantLocked(s, newID)
	if now != before.Nick {
		o := after
		o.Nick = before.Nick
		return r.nickChangeLocked(s, newID, o, now) // room_occupant_sent.go
	}
	return r.occupantPresenceLocked(s, newID) // its new real JID
}

// moveChat re-keys the remembered messages of one chat (chatKey) to
// another: a reply to a message received under a contact's old ID still
// quotes it, its receipts are still sent.
func (x *recents) moveChat(from, to string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	prefix := from + "\x00"
	for i, k := range x.order {
		id, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		r, ok := x.m[k]
		if !ok {
			continue
		}
		x.count(r, -1)
		delete(x.m, k)
		nk := to + "\x00" + id
		if old, ok := x.m[nk]; ok {
			x.count(old, -1)
		}
		r.chat = to
		x.m[nk] = r
		x.count(r, 1)
		x.order[i] = nk
	}
}
