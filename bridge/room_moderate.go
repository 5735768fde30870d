package bridge

import (
	"bytes"
	"context"
	"slices"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// Moderation (XEP-0425): a moderator retracts someone else's message in
// a room, by the room's stanza-id. It is the network's deletion for
// everyone (Retract), which a group's admin may do on WhatsApp and
// Telegram; the network decides whether the user may (NOT_ALLOWED:
// forbidden). Once the network has deleted it, every joined resource
// gets the moderation notice and the archive keeps a tombstone. A
// network that also sends the deletion back as an event does not show
// it twice: the first of the result and the event shows the notice, and
// a later event finds the tombstone (retractedAlready).

// XEP-0425's namespaces. Version 0.3 and later: <moderate/> with
// XEP-0424's <retract/>. Before (0.2, still sent by Gajim, Converse.js
// and older Conversations, and the only one Prosody 0.12's
// mod_muc_moderation offers): the same inside XEP-0422's <apply-to/>,
// with the retraction's version 0.
const (
	nsModerate  = muc.NSModerate
	nsModerate0 = muc.NSModerate0
	nsRetract0  = "urn:xmpp:message-retract:0"
	nsFasten    = "urn:xmpp:fasten:0"
)

// moderateRequest is a moderation asked in either version of XEP-0425:
// the message's stanza-id, whether it asks for a retraction (the only
// moderation there is), and the reason given.
type moderateRequest struct {
	id      string
	retract bool
	reason  string
}

// moderateRequestOf reads an IQ's payload p as a moderation request:
// <moderate id='..' xmlns='urn:xmpp:message-moderate:1'><retract
// xmlns='urn:xmpp:message-retract:1'/><reason/></moderate>, or <apply-to
// id='..' xmlns='urn:xmpp:fasten:0'><moderate
// xmlns='urn:xmpp:message-moderate:0'><retract
// xmlns='urn:xmpp:message-retract:0'/><reason/></moderate></apply-to>.
// ok is false for anything else (another fastening, too).
func moderateRequestOf(p *wire.Element) (req moderateRequest, ok bool) {
	if p == nil {
		return req, false
	}
	var m *wire.Element
	nsR := nsRetract
	switch {
	case p.XMLName.Space == nsModerate && p.XMLName.Local == "moderate":
		m = p
	case p.XMLName.Space == nsFasten && p.XMLName.Local == "apply-to":
		if m = p.Child(nsModerate0, "moderate"); m == nil {
			return req, false
		}
		nsR = nsRetract0
	default:
		return req, false
	}
	req.id = p.Attr("id")
	req.retract = m.Child(nsR, "retract") != nil
	if rs := m.Child("", "reason"); rs != nil {
		req.reason = rs.Text
	}
	return req, true
}

// moderate handles a moderation request, of either version: the same
// checks, the same network Retract and the same notice, which carries
// both versions.
func (s *session) moderate(ctx context.Context, st *wire.Stanza, r *room, req moderateRequest) {
	t := s.t
	id := req.id
	if t.roomRefused(ctx, st, s.user, s) {
		return
	}
	switch {
	case id == "" || !req.retract:
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "moderate one message by its stanza-id, with <retract/>"))
		return
	case !s.features().GetRetractions():
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not delete messages"))
		return
	}
	ref, err := t.lookupXMPP(ctx, s.LoginID(), r.chatID, id)
	if err != nil {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "the gateway does not know the message "+id+" in "+r.jid))
		return
	}
	mod := &moderation{stanzaID: id, reason: req.reason, ref: ref}
	s.mu.Lock()
	s.moderating[ref.RemoteID] = mod
	s.mu.Unlock()
	cmd := &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Retract{Retract: &pb.Retract{TargetId: ref.RemoteID, TargetMeta: ref.Meta}}}
	t.host.Send(cmd, func(res *pb.CommandResult) {
		if res.Error != nil {
			s.takeModeration(ref.RemoteID)
			cond := conditionOf(res.Error.Code)
			if cond == wire.NotAllowed {
				cond = wire.Forbidden // XEP-0425: not a moderator
			}
			t.send(ctx, wire.ErrorReply(st, cond, res.Error.Text))
			return
		}
		t.send(ctx, wire.Result(st).Bytes())
		// The tombstone first: a deletion event rendered from now on
		// finds either the moderation under way or the tombstone.
		t.tombstone(ctx, s.user, r, ref.RemoteID, time.Now())
		if s.takeModeration(ref.RemoteID) != nil { // not shown by the network's event
			copies, turn := s.moderatedNotices(ctx, r, mod)
			s.writeInTurn(ctx, turn, copies) // room_order.go
		}
		t.log.Info("message moderated", "user", s.user, "room", r.jid, "stanza_id", id)
	})
}

// moderation is one the user asked for: the message's stanza-id, the
// reason given, and the message's map entry.
type moderation struct {
	stanzaID, reason string
	ref              store.MessageRef
}

// takeModeration removes and returns the moderation under way of the
// message remoteID: whichever of the command's result and the network's
// deletion event comes first shows it.
func (s *session) takeModeration(remoteID string) *moderation {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.moderating[remoteID]
	delete(s.moderating, remoteID)
	return m
}

// moderatedNotices archives the notices of mod and returns their copies
// for the joined resources, with their stanza-ids, and the room's turn
// to write them (room_order.go): one per stanza the message was shown as
// (its text, each of its files, a caption added later), as
// othersRemovalLocked has them, since the network deletes the whole
// message; the client named one of them (the one the user picked), and
// only that one left the user's clients. Archived as XEP-0424 has a
// retraction be ("the archiving service MUST store the retraction
// message"): a client that was away learns of the moderation when it
// catches up (MAM, a join's history); the tombstone alone, in the
// message's old place, is before where it catches up from. It went to
// the joined resources only.
func (s *session) moderatedNotices(ctx context.Context, r *room, mod *moderation) ([][]byte, sendTurn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	by := muc.OccupantJID(r.jid, r.ownNickLocked(s))
	ids := []string{mod.stanzaID}
	if mod.ref.RemoteID != "" {
		c := chatOut{t: s.t, ev: &pb.Event{LoginId: s.LoginID(), ChatId: r.chatID}, user: s.user, group: true}
		for _, id := range c.shownIDs(mod.ref) {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	out := s.moderationNoticesLocked(ctx, r, ids, by, s.selfOccupantID(r), mod.reason)
	if len(out) == 0 {
		return nil, sendTurn{}
	}
	return out, r.sendTurnLocked()
}

// networkModeration shows a retraction by someone other than the
// message's author (a group admin's delete for everyone, on Signal,
// WhatsApp or Telegram) as a moderation (XEP-0425) by that member's
// occupant, from the room: clients drop a XEP-0424 retraction that does
// not come from the message's author. A big group's member the join did
// not present (byID, room_crowd.go) is presented first: the notice names
// its occupant JID, which the client must know. ok is false for an
// author's own retraction, or a message the archive does not know.
func (s *session) networkModeration(ctx context.Context, r *room, c chatOut, d delivery, targetID, byID, byJID, byNick, byOID string) ([][]byte, bool) {
	ref, ok := c.ref(targetID)
	if !ok || byNick == "" {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out, ok := s.othersRemovalLocked(ctx, r, c, ref, byJID, byNick, byOID)
	if !ok || len(out) == 0 {
		return nil, ok
	}
	if byID != "" && byID != selfKey {
		out = append(r.revealLocked(s, byID), out...)
	}
	turn := r.sendTurnLocked()
	if d.turn != nil {
		*d.turn = turn // written after the room's earlier stanza-ids
	} else {
		turn.done()
	}
	return out, true
}

// othersRemovalLocked archives the notices of the removal of ref, a
// message of another member's, by byNick (occupant-id byOID, real JID
// byJID), one per stanza it was shown as (each of its file parts goes
// the same way), tombstones it, and returns the notices' copies for the
// joined resources; r.mu is held. ok is false for the remover's own
// message, or one the archive does not know. Checked and tombstoned
// under the room's lock: the network's deletion event and the
// reflection of the user's own retraction (archiveReflectionLocked)
// race, and the first shows the notices, the second finds the
// tombstone (ok, no notices).
func (s *session) othersRemovalLocked(ctx context.Context, r *room, c chatOut, ref store.MessageRef, byJID, byNick, byOID string) ([][]byte, bool) {
	t := s.t
	m, err := t.db.LookupArchivedRemote(ctx, t.roomKey(s.user, r.chatID), ref.RemoteID)
	if err != nil || m.SenderJID == "" || m.SenderJID == byJID {
		return nil, false
	}
	if isTombstone(m.Payload) {
		return nil, true
	}
	out := s.moderationNoticesLocked(ctx, r, c.shownIDs(ref), muc.OccupantJID(r.jid, byNick), byOID, "")
	t.tombstone(ctx, s.user, r, ref.RemoteID, time.Now())
	t.log.Info("a member's message removed by another, shown as a moderation", "room", r.jid, "by", byNick)
	return out, true
}

// moderated is the notice of a moderation (XEP-0425 §4) to one occupant:
// the message id retracted by the moderator by (whose occupant-id byID
// the 0.3 notice names, XEP-0421), with the reason. It
// carries both versions (0.3 and 0.2), naming the same stanza-id, so
// that a client of either understands it.
func moderated(roomJID, to, id, by, byID, reason, msgID string) []byte {
	var w wire.Writer
	w.Start("message", "").Attr("from", roomJID).Attr("to", to).Attr("type", "groupchat").Attr("id", msgID)
	w.Start("retract", nsRetract).Attr("id", id)
	w.Start("moderated", nsModerate).Attr("by", by)
	muc.WriteOccupantID(&w, byID)
	w.End()
	if reason != "" {
		w.Leaf("reason", "", reason)
	}
	w.End()
	w.Start("apply-to", nsFasten).Attr("id", id)
	w.Start("moderated", nsModerate0).Attr("by", by)
	w.Start("retract", nsRetract0).End()
	if reason != "" {
		w.Leaf("reason", "", reason)
	}
	w.End()
	w.End()
	w.Start("fallback", nsFallback).Attr("for", nsRetract).End()
	w.Leaf("body", "", "A moderator retracted a message, but your client does not support that.")
	return w.Bytes()
}

// retractedAlready reports whether the room's archive holds the
// tombstone of remoteID: the user moderated it, and the network now says
// it was deleted.
func (t *transport) retractedAlready(ctx context.Context, user string, r *room, remoteID string) bool {
	m, err := t.db.LookupArchivedRemote(ctx, t.roomKey(user, r.chatID), remoteID)
	return err == nil && isTombstone(m.Payload)
}

// isTombstone reports whether an archived stanza is a retracted
// message's tombstone (tombstone).
func isTombstone(payload []byte) bool {
	return bytes.Contains(payload, []byte("<retracted "))
}

// shownIDs returns the ids of the stanzas the room showed the network's
// message ref as: its text, each of its files, and a caption the
// network added later (caption_edit.go). The network removes them
// together.
func (c chatOut) shownIDs(ref store.MessageRef) []string {
	ids := []string{c.targetID(ref)}
	for i := range fileParts(ref, false) {
		ids = append(ids, c.partTargetID(ref, i+1))
	}
	if id, ok := c.captionTarget(ref); ok {
		ids = append(ids, id)
	}
	return ids
}

// moderationNoticesLocked archives a moderation notice (XEP-0425) by the
// occupant by (occupant-id oid) for each stanza-id of ids, with reason,
// and returns their copies for the joined resources, from the room
// itself: no occupant-id but the moderator's, inside. r.mu is held.
func (s *session) moderationNoticesLocked(ctx context.Context, r *room, ids []string, by, oid, reason string) [][]byte {
	var out [][]byte
	for _, id := range ids {
		payload := moderated(r.jid, s.user, id, by, oid, reason, s.t.newID())
		now := time.Now()
		sid, _ := s.t.archive(ctx, s.user, r, store.ArchivedMessage{Time: now, Arrived: now, Payload: payload}) // room_in.go
		for _, res := range r.resourcesLocked() {
			out = append(out, roomCopy(payload, s.user, s.user+"/"+res, r.jid, sid, "", time.Time{}))
		}
	}
	return out
}
