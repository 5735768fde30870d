package bridge

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// What the network sends into a room (see room.go): messages and their
// corrections, reactions and retractions are rendered once as the
// one-to-one path renders them (chatOut, as groupchat), archived, and
// sent to every joined resource of the user (none joined: archived only);
// members and the subject become occupant presences and subject
// messages; the user's removal and the group's deletion end the room.

// groupEvent reports whether an event belongs to a room of the session:
// a group's event, or one of a chat the session knows as a room (a
// plugin that leaves chat_type unset in history).
func (s *session) groupEvent(ev *pb.Event) bool {
	switch ev.Payload.(type) {
	case *pb.Event_Member, *pb.Event_Topic, *pb.Event_ChatRemoved:
		return true
	case *pb.Event_Chat:
		return isGroup(ev.GetChat().GetChat().GetType())
	}
	return isGroup(ev.ChatType) || (ev.ChatId != "" && s.rooms.get(ev.ChatId) != nil)
}

// findsRoom reports whether an event of a group the session does not
// know is worth asking the network about it: a message, an edit or a
// retraction may be news of a group the user is in. A read mark or a
// receipt, typing and a reaction only mark a message or the moment, and
// in a room the user has not joined name no message the user has.
func findsRoom(ev *pb.Event) bool {
	switch ev.Payload.(type) {
	case *pb.Event_Receipt, *pb.Event_Typing, *pb.Event_Reaction:
		return false
	}
	return true
}

// renderRoom renders a group's event for the user's joined resources, in
// the chat's outbound worker.
func (t *transport) renderRoom(ctx context.Context, d delivery, s *session) [][]byte {
	ev := d.ev
	toArchive := archiveOnly(ev) // a scroll-back: the archive only (mam_backfill.go)
	switch ev.Payload.(type) {
	case *pb.Event_Message, *pb.Event_Edit, *pb.Event_Reaction, *pb.Event_Retraction:
	default:
		if toArchive {
			return nil // not an archived message: old news
		}
	}
	if _, ok := ev.Payload.(*pb.Event_Message); ok && t.echoOfTxn(s, ev) { // refwait.go
		// The network's echo of the user's own message, named by the
		// send's txn: the reflection is that message (archived under
		// the send's result's ID). Under another event ID it was
		// archived and shown a second time. Its ID is mapped to the
		// user's message, as the one-to-one path's echo is.
		t.log.Debug("the echo of the user's own room message dropped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId, "txn", ev.TxnId)
		t.goBg(func() { t.mapEcho(t.runCtx(), s, d) }) // refwait.go
		return nil
	}
	if _, ok := ev.Payload.(*pb.Event_Message); ok && !toArchive {
		if r := s.rooms.get(ev.ChatId); r != nil {
			// The user's messages the network took before this one
			// came are archived first, as the network has them: a
			// member's answer, or the network's echo of the user's
			// message (then a duplicate of the reflection), may come
			// on the event stream before the send's result does, on
			// its own. Waited for outside the room's lock, at most
			// targetWait, as an event naming a message being sent waits
			// for its result; a send stuck longer (a slow network) holds
			// one message, not each (waitIssued), and the order is then
			// the arrival's. A file's send takes no ticket: an upload
			// holds nothing (TestRoomOwnPhoneMessageNotHeldBySend).
			r.order.waitIssued(targetWait)
		}
	}
	switch p := ev.Payload.(type) {
	case *pb.Event_Chat:
		s.setRoom(ctx, p.Chat.GetChat())
		return nil
	case *pb.Event_ChatRemoved:
		r := s.rooms.get(ev.ChatId)
		if r == nil {
			s.unknownGroupRemoved(ctx, ev.ChatId, p.ChatRemoved)
			return nil
		}
		// Left (on the phone, say): no longer a member, as /leave.
		why, reason := muc.AffiliationChanged, p.ChatRemoved.Text
		s.noteRemoved(ctx, r.chatID, p.ChatRemoved) // room_left.go
		switch p.ChatRemoved.Reason {
		case pb.ChatRemovedEvent_REASON_KICKED:
			why = muc.Kicked
		case pb.ChatRemovedEvent_REASON_BANNED:
			why = muc.Banned
		case pb.ChatRemovedEvent_REASON_DELETED:
			if reason == "" {
				reason = "the group was deleted"
			}
			reason = s.ownDestroyReason(r.chatID, reason) // room_destroy.go
		}
		var out [][]byte
		var turn sendTurn
		if next := p.ChatRemoved.ReplacedBy; next != "" || p.ChatRemoved.Reason == pb.ChatRemovedEvent_REASON_DELETED {
			out, turn = s.destroyedRoom(ctx, r, next, reason)
		} else {
			// Who kicked or banned the user, in the item's <actor/>
			// (XEP-0045 §9.1.6): the event's sender (IRC's KICK).
			out, turn = s.endRoom(ctx, r, func(to string, me muc.Occupant) []byte {
				actor := ""
				if why != muc.AffiliationChanged {
					actor = r.actorNickLocked(s, ev.GetSender(), selfKey) // under endRoom's lock
				}
				return muc.RemovedBy(r.jid, to, me, why, reason, actor, true)
			})
		}
		if p.ChatRemoved.Reason == pb.ChatRemovedEvent_REASON_DELETED {
			if err := t.db.DeleteArchive(context.WithoutCancel(ctx), t.roomKey(s.user, r.chatID)); err != nil {
				t.log.Error("archive of a deleted group not deleted", "room", r.jid, "err", err)
			}
		}
		t.log.Info("user no longer in a group", "user", s.user, "room", r.jid, "reason", p.ChatRemoved.Reason)
		if d.turn != nil {
			*d.turn = turn // written after the room's earlier copies
		} else {
			turn.done()
		}
		return out
	}
	r := s.rooms.get(ev.ChatId)
	if r == nil {
		if !s.waitRoomsSynced(ctx, ev.ChatId) {
			t.log.Info("event of a group not delivered: its login's rooms never synced", "chat", ev.ChatId, "kind", kindOf(ev), "stopping", ctx.Err() != nil)
			return nil
		}
		if !findsRoom(ev) {
			// Asking the network costs a query each (WhatsApp's group
			// info): the app-state sync after a pairing brings many such
			// events of groups the user left.
			t.log.Debug("event of a group not known dropped: it shows nothing in a room not joined", "chat", ev.ChatId, "kind", kindOf(ev))
			return nil
		}
		if r = s.findRoom(ctx, ev.ChatId); r == nil {
			t.log.Warn("event of a group the user is not in; dropped", "chat", ev.ChatId, "kind", kindOf(ev))
			return nil
		}
	}
	switch p := ev.Payload.(type) {
	case *pb.Event_Member:
		out := s.memberEvent(r, ev.GetSender(), p.Member)
		if len(out) > 0 && d.turn != nil {
			// After the copies of the room's earlier messages (a
			// reflection of the user's whose result came meanwhile);
			// the member's own messages render in this worker, so none
			// comes between the presences and their turn.
			r.mu.Lock()
			*d.turn = r.sendTurnLocked()
			r.mu.Unlock()
		}
		return out
	case *pb.Event_Topic:
		return s.topicEvent(r, ev, p.Topic.Topic)
	}
	r.mu.Lock()
	nick := r.senderNickLocked(s, ev.Sender)
	id, _ := r.nicks.MemberOf(nick)
	unseen := r.unseenLocked(t, id) // room_crowd.go
	r.mu.Unlock()
	// The user's own words (flagged is_from_me, or told under the
	// login's or the user's member ID: senderNickLocked) are the user's,
	// with the user's occupant-id (XEP-0421: one occupant, one id).
	own := nick != "" && id == selfKey
	senderJID := s.user
	if !own && ev.GetSender().GetUserId() != "" {
		if pj, err := t.puppetJID(ev.Sender.UserId); err == nil {
			senderJID = pj.String()
		}
	}
	// The sender's occupant-id, as its archived copy derives it again
	// (archivedOccupantID); none for the room itself.
	oid := ""
	if nick != "" {
		oid = muc.OccupantID(r.jid, s.aliases.realJID(t, senderJID))
	}
	c := chatOut{t: t, ev: ev, xid: d.xid, user: s.user, puppet: muc.OccupantJID(r.jid, nick), group: true}
	if nick == "" {
		c.puppet = r.jid // the room itself speaks
	}
	var stanzas [][]byte
	switch p := ev.Payload.(type) {
	case *pb.Event_Message:
		stanzas = c.message(ctx, p.Message)
	case *pb.Event_Edit:
		stanzas = c.edit(p.Edit)
	case *pb.Event_Reaction:
		stanzas = c.reaction(p.Reaction)
	case *pb.Event_Retraction:
		// The user's moderation (room_moderate.go): shown as one, once.
		if mod := s.takeModeration(p.Retraction.TargetId); mod != nil {
			defer t.tombstone(ctx, s.user, r, p.Retraction.TargetId, time.Now())
			out, turn := s.moderatedNotices(ctx, r, mod)
			if d.turn != nil {
				*d.turn = turn // written after the room's earlier stanza-ids
			} else {
				turn.done()
			}
			return out
		}
		if t.retractedAlready(ctx, s.user, r, p.Retraction.TargetId) {
			return nil
		}
		if out, ok := s.networkModeration(ctx, r, c, d, p.Retraction.TargetId, id, senderJID, nick, oid); ok {
			return out
		}
		stanzas = c.retraction(p.Retraction)
		if len(stanzas) > 0 {
			defer t.tombstone(ctx, s.user, r, p.Retraction.TargetId, time.Now())
		}
	case *pb.Event_Receipt:
		if own {
			t.syncDisplayed(ctx, s, r, p.Receipt) // room_mds.go
		}
		if unseen {
			return nil // a big group's member not shown: no marker from a nick unseen
		}
		return t.roomMarker(ctx, c, s, r, p.Receipt, oid, d.turn)
	case *pb.Event_Typing:
		// Not archived: a chat state is worth nothing later. None from
		// a big group's member not shown (its presence comes with its
		// words).
		if unseen {
			return nil
		}
		var out [][]byte
		r.mu.Lock()
		for _, st := range c.typing(p.Typing) {
			for _, res := range r.resourcesLocked() {
				out = append(out, roomCopy(st, s.user, s.user+"/"+res, r.jid, "", oid, time.Time{}))
			}
		}
		r.mu.Unlock()
		return out
	default:
		t.log.Debug("group event kind not bridged", "kind", kindOf(ev))
		return nil
	}
	if len(stanzas) == 0 {
		return nil
	}
	senderID := id
	var at time.Time
	if ev.TimestampUnixMicro > 0 {
		at = time.UnixMicro(ev.TimestampUnixMicro)
	}
	msgs := make([]store.ArchivedMessage, len(stanzas))
	for i, st := range stanzas {
		// Cut when too large for the archive (room_archive_fit.go).
		msgs[i] = store.ArchivedMessage{Time: at, Nick: nick, SenderJID: senderJID, Payload: fitArchived(st)}
		if ev.EventId != "" {
			msgs[i].RemoteID = ev.EventId
			if i > 0 { // a message's files after its text
				msgs[i].RemoteID += "#" + strconv.Itoa(i)
			}
		}
	}
	// Archived, and its copies made, under the room's lock: a resource
	// joining now gets each message once, in its history or live.
	r.mu.Lock()
	defer r.mu.Unlock()
	// Archived as it arrives (store/archive.go: a late message after what
	// a client saw), its arrival taken under the lock, so that the
	// archive's order is the order sent; a scroll-back, and history older
	// than the archive, at its own time, in the past.
	if !toArchive {
		now := time.Now()
		for i := range msgs {
			// History older than the archive goes before it, at its own
			// time (store.ArchivedMessage.History).
			msgs[i].Arrived, msgs[i].History = now, ev.IsBackfill
		}
	}
	if _, ok := ev.Payload.(*pb.Event_Message); ok {
		r.authors.put(ev.EventId, nick)
	}
	res, err := t.db.AppendArchive(context.WithoutCancel(ctx), t.roomKey(s.user, r.chatID), msgs)
	if err != nil {
		t.log.Error("room message not archived; sent without a stanza-id", "room", r.jid, "err", err)
		res = make([]store.ArchiveAppend, len(msgs))
	}
	if toArchive {
		return nil
	}
	var out [][]byte
	if senderID != "" && senderID != selfKey && !res[0].Duplicate {
		// A big group's member not shown at the join: its presence
		// before its words (room_crowd.go).
		out = append(out, r.revealLocked(s, senderID)...)
	}
	for i, st := range stanzas {
		if res[i].Duplicate {
			continue // shown already (the echo of the user's own message, a delivery again)
		}
		for _, to := range r.resourcesLocked() {
			out = append(out, roomCopy(st, s.user, s.user+"/"+to, r.jid, res[i].StanzaID, oid, time.Time{}))
		}
	}
	if len(out) > 0 && d.turn != nil {
		*d.turn = r.sendTurnLocked() // written after the room's earlier stanza-ids
	}
	return out
}

// memberEvent is a change of the group's members, as occupant presences;
// by is the event's sender, who kicked or banned the member. One that
// changes the room is newer than a chat answer asked before it.
func (s *session) memberEvent(r *room, by *pb.Sender, me *pb.MemberEvent) [][]byte {
	m := me.GetMember()
	r.mu.Lock()
	self := s.isSelfLocked(r, m, false)
	r.mu.Unlock()
	if self {
		return s.selfMemberEvent(r, me) // room_nick.go
	}
	if m.GetUserId() == "" {
		return nil
	}
	id := m.UserId
	r.mu.Lock()
	defer r.mu.Unlock()
	old, had := r.members[id]
	delete(r.invites, id) // in or out now, as the member list says (room_invite_once.go)
	kind := me.Kind
	if kind == pb.MemberEvent_KIND_RENAMED && !had {
		// A member the room never heard join (a join the network did not
		// tell, a list taken before it): they are in the group under
		// the new nick, so they join the room under it. Dropped, the
		// user never saw them until the room's next sync.
		kind = pb.MemberEvent_KIND_JOINED
	}
	if (kind == pb.MemberEvent_KIND_JOINED || kind == pb.MemberEvent_KIND_ROLE_CHANGED) && m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
		kind = pb.MemberEvent_KIND_BANNED // an outcast is on the ban list, no occupant
	}
	s.noteMemberNewsLocked(r, id) // newer than an answer asked before: room_member_news.go
	switch kind {
	case pb.MemberEvent_KIND_JOINED, pb.MemberEvent_KIND_ROLE_CHANGED:
		delete(r.banned, id) // back in: no longer banned
		if had && kind == pb.MemberEvent_KIND_ROLE_CHANGED && m.Nick == "" {
			// A copy: the event is the outbox's too, encoded meanwhile.
			m = proto.CloneOf(m)
			m.Nick = old.Nick
		}
		var before muc.Occupant
		if had {
			before = r.occupantLocked(s, id)
		}
		r.members[id] = m
		if !had {
			name := s.memberNames([]*pb.Member{m})[id]
			r.names[id] = name
			r.nicks.Assign(id, name)
			r.admitLocked(s.t, id) // room_crowd.go
		}
		if !r.presentedLocked(s.t, id) {
			return nil // past a big group's cap: shown when they speak
		}
		if !had {
			return r.occupantPresenceLocked(s, id)
		}
		// Nothing the client sees changed (a network telling a change
		// twice, a join of one who is in): no presence.
		return r.occupantChangedLocked(s, id, before) // room_occupant_sent.go
	case pb.MemberEvent_KIND_RENAMED: // had: a join otherwise, above
		// The occupant as they were: occupantLocked reads r.members.
		before := r.occupantLocked(s, id)
		r.members[id] = m
		return r.renameFromLocked(s, id, before, s.memberNames([]*pb.Member{m})[id])
	case pb.MemberEvent_KIND_LEFT, pb.MemberEvent_KIND_KICKED, pb.MemberEvent_KIND_BANNED:
		if kind == pb.MemberEvent_KIND_BANNED {
			if r.banned == nil {
				r.banned = map[string]string{}
			}
			r.banned[id] = me.Reason // banned while out of the room too
		}
		if !had {
			return nil
		}
		if !r.presentedLocked(s.t, id) {
			// Never shown to the client (room_crowd.go): no presence.
			r.nicks.Remove(id)
			delete(r.members, id)
			delete(r.names, id)
			return nil
		}
		r.forgetPresentedLocked(id)
		r.forgetSentLocked(id)
		why := muc.Left
		switch kind {
		case pb.MemberEvent_KIND_KICKED:
			why = muc.Kicked
		case pb.MemberEvent_KIND_BANNED:
			why = muc.Banned
		}
		o := r.occupantLocked(s, id) // muc.Removed: affiliation none (a ban: outcast)
		actor := ""
		if why != muc.Left {
			actor = r.actorNickLocked(s, by, id)
		}
		out := r.toJoinedLocked(s.user, func(to string) []byte { return muc.RemovedBy(r.jid, to, o, why, me.Reason, actor, false) })
		r.nicks.Remove(id)
		delete(r.members, id)
		delete(r.names, id)
		return out
	}
	return nil
}

// topicEvent is a new subject, from the member who set it.
func (s *session) topicEvent(r *room, ev *pb.Event, topic string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	by := ev.GetSender().GetUserId()
	if ev.GetSender().GetIsFromMe() || r.isUserIDLocked(s, by) { // room.go
		r.ownNickLocked(s)
		by = selfKey
	}
	r.subject, r.subjectBy = topic, by
	r.subjectAt = time.Time{}
	if ev.TimestampUnixMicro > 0 {
		r.subjectAt = time.UnixMicro(ev.TimestampUnixMicro)
	}
	nick := ""
	if by != "" {
		nick = r.senderNickLocked(s, ev.Sender)
	}
	oid := r.memberOccupantIDLocked(s, by) // room_occupant_id.go
	return r.toJoinedLocked(s.user, func(to string) []byte {
		return muc.Subject(r.jid, to, nick, oid, topic, time.Time{}, s.t.newID())
	})
}

// targetID is the id a stanza names an earlier message by: in a room,
// the room's stanza-id (what clients reference in a groupchat: XEP-0444,
// XEP-0424, XEP-0461), else its XMPP id. The user's own message being
// reflected never falls back: ref is found only once stored, in one
// write with the reflection's archive entry (archiveSent;
// TestRoomReactionBeforeResult).
func (c chatOut) targetID(ref store.MessageRef) string {
	if c.group {
		// Without forcing a checkpoint: echo-2's reaction to every message
		// made one a message (docs/performance.md, "Rooms").
		key := c.t.roomKey(c.user, c.ev.ChatId)
		id, err := c.t.db.ArchivedStanzaID(context.Background(), key, ref.RemoteID)
		if err == nil {
			return id
		}
		if ref.FromMe {
			// The echo's ID of the user's message (mapEcho): the
			// reflection is archived under the send's, which the
			// user's ids name.
			if sent, err := c.t.db.LookupXMPP(c.t.name, ref.LoginID, ref.ChatID, xmppID(ref)); err == nil && sent.RemoteID != ref.RemoteID {
				if id, err := c.t.db.ArchivedStanzaID(context.Background(), key, sent.RemoteID); err == nil {
					return id
				}
			}
		}
	}
	return xmppID(ref)
}

// roomRef finds the message a room's stanza-id names, for a command of
// the user's that names it (a reaction, a retraction, a marker).
func (t *transport) roomRef(ctx context.Context, loginID, chatID, stanzaID string) (store.MessageRef, bool) {
	s := t.sessionOf(loginID)
	if s == nil || s.rooms.get(chatID) == nil {
		return store.MessageRef{}, false
	}
	m, err := t.db.LookupArchived(ctx, t.roomKey(s.user, chatID), stanzaID)
	if err != nil || m.RemoteID == "" {
		return store.MessageRef{}, false
	}
	remote := m.RemoteID
	if base, _, ok := strings.Cut(remote, "#"); ok && base != "" {
		if r, ok := t.newRef(loginID, chatID, remote); ok {
			return r, true
		}
		if ref, err := t.db.LookupRemote(t.name, loginID, chatID, remote); err == nil {
			return ref, true
		}
		remote = base // a file of the message: the message
	}
	if r, ok := t.newRef(loginID, chatID, remote); ok {
		return r, true
	}
	ref, err := t.db.LookupRemote(t.name, loginID, chatID, remote)
	return ref, err == nil
}

// tombstone replaces a retracted message's archived stanza with a
// XEP-0424 tombstone: from the same occupant, with no text left, so that
// neither a join's history nor a MAM query hands the words out again.
// The retraction itself is archived too, for clients that apply it.
func (t *transport) tombstone(ctx context.Context, user string, r *room, remoteID string, at time.Time) {
	key := t.roomKey(user, r.chatID)
	m, err := t.db.LookupArchivedRemote(ctx, key, remoteID)
	if err != nil {
		return // not archived here (older than the room, or pruned)
	}
	stone := func(nick string) []byte {
		from := r.jid
		if nick != "" {
			from = muc.OccupantJID(r.jid, nick)
		}
		var w wire.Writer
		w.Start("message", "").Attr("from", from).Attr("to", user).Attr("type", "groupchat")
		w.Start("retracted", nsRetract).Attr("stamp", at.UTC().Format(time.RFC3339)).End()
		w.Leaf("body", "", "This message was retracted.")
		return w.Bytes()
	}
	if err := t.db.ReplaceArchived(context.WithoutCancel(ctx), key, remoteID, stone(m.Nick)); err != nil {
		t.log.Warn("retracted message left in the archive", "room", r.jid, "err", err)
	}
	// Its files, archived after it as remoteID#1, #2... (renderRoom).
	for n := 1; ; n++ {
		part := remoteID + "#" + strconv.Itoa(n)
		if _, err := t.db.LookupArchivedRemote(ctx, key, part); err != nil {
			break
		}
		if err := t.db.ReplaceArchived(context.WithoutCancel(ctx), key, part, stone(m.Nick)); err != nil {
			t.log.Warn("a retracted message's file left in the archive", "room", r.jid, "err", err)
		}
	}
	// Its corrections (XEP-0308) hold its words too.
	for _, c := range t.archivedCorrections(ctx, key, m) {
		if err := t.db.ReplaceArchivedStanza(context.WithoutCancel(ctx), key, c.StanzaID, stone(c.Nick)); err != nil {
			t.log.Warn("a retracted message's correction left in the archive", "room", r.jid, "err", err)
		}
	}
}

// correctionsScanned bounds how far after a retracted message its
// corrections are looked for: they come soon after it.
const correctionsScanned = 4 * store.MaxArchivePage

// archivedCorrections are the archived corrections of m (a <replace/>
// naming m's id), among the messages archived after it.
func (t *transport) archivedCorrections(ctx context.Context, key store.RoomKey, m store.ArchivedMessage) []store.ArchivedMessage {
	orig, err := wire.Parse(string(m.Payload))
	if err != nil || orig.ID() == "" {
		return nil
	}
	var out []store.ArchivedMessage
	after := m.StanzaID
	for scanned := 0; scanned < correctionsScanned; {
		page, err := t.db.QueryArchive(ctx, key, store.ArchiveQuery{After: after, Max: store.MaxArchivePage})
		if err != nil || len(page.Messages) == 0 {
			return out
		}
		for _, c := range page.Messages {
			st, err := wire.Parse(string(c.Payload))
			if err != nil {
				continue
			}
			if rp := st.Child(nsCorrect, "replace"); rp != nil && rp.Attr("id") == orig.ID() {
				out = append(out, c)
			}
		}
		scanned += len(page.Messages)
		after = page.Last
	}
	return out
}

// readStanzaID is the room's stanza-id of the newest message a read
// receipt rc names; false for a delivery receipt, or a message not in
// the room's archive (nothing the user's clients know).
func (t *transport) readStanzaID(ctx context.Context, s *session, r *room, rc *pb.ReceiptEvent) (string, bool) {
	if rc.Kind != pb.ReceiptEvent_KIND_READ || len(rc.MessageIds) == 0 {
		return "", false
	}
	newest := rc.MessageIds[len(rc.MessageIds)-1]
	sid, err := t.db.ArchivedStanzaID(ctx, t.roomKey(s.user, r.chatID), newest)
	return sid, err == nil
}

// roomMarker shows a member's read receipt as a XEP-0333 displayed marker
// from the member's occupant JID, naming the newest message read by the
// room's stanza-id (what groupchat markers name), with the member's
// occupant-id (oid), to each joined resource; not archived, like a chat
// state. Delivery receipts are not shown: in a group they say only that
// a member's device is on. turn, when set, receives the room's turn to
// write it: not archived, but it names a stanza-id, whose copies (the
// user's reflection, archived already) may still wait for theirs.
func (t *transport) roomMarker(ctx context.Context, c chatOut, s *session, r *room, rc *pb.ReceiptEvent, oid string, turn *sendTurn) [][]byte {
	sid, ok := t.readStanzaID(ctx, s, r, rc)
	if !ok {
		return nil
	}
	w := c.start(t.newID())
	w.Start("displayed", nsMarkers).Attr("id", sid).End()
	st := c.finish(w)
	var out [][]byte
	r.mu.Lock()
	for _, res := range r.resourcesLocked() {
		out = append(out, roomCopy(st, s.user, s.user+"/"+res, r.jid, "", oid, time.Time{}))
	}
	if len(out) > 0 && turn != nil {
		*turn = r.sendTurnLocked() // after the copies of the message it names
	}
	r.mu.Unlock()
	return out
}
