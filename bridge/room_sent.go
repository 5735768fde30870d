package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// archiveSent archives m, the reflection of the user's new message sm
// that the network took as res, and records what remember records of
// it, in one store write: one log write where archive then remember
// cost two (docs/performance.md, "Why a room message costs more"). It
// returns what archive returns. Call it under the room's lock (reflect):
// a network event naming the message may be rendered as soon as the map
// entry is written, and its rendering takes that lock, so it takes a
// later turn to write (room_order.go) and goes out after the
// reflection, naming the room's stanza-id (TestRoomReactionBeforeResult,
// TestRoomMarkerAfterTheMessageItNames).
func (s *session) archiveSent(ctx context.Context, r *room, m store.ArchivedMessage, sm sentMsg, res *pb.CommandResult) (string, bool) {
	t := s.t
	if res.MessageId != "" {
		ref, txn := s.sentRef(sm, res)
		a, err := t.db.AppendArchiveSent(context.WithoutCancel(ctx), t.roomKey(s.user, r.chatID), m, ref, txn)
		if err == nil {
			s.stored.signal(refKey(ref.LoginID, ref.ChatID, ref.RemoteID))
			s.sentExpires(ctx, ref, res) // expiry.go
			return a.StanzaID, a.Duplicate
		}
		// Refused together (one part's bad input): each apart, so that
		// the other is kept.
		t.log.Warn("reflection and its map entry not stored together", "room", r.jid, "err", err)
	}
	sid, dup := t.archive(ctx, s.user, r, m)
	s.remember(ctx, sm, res)
	return sid, dup
}

// namesTarget reports whether res, the network's answer to the user's
// correction, reaction or retraction st, names the message st acts on
// rather than one of its own: WhatsApp, Signal and Telegram answer an
// edit with the edited message's ID. Archived under that ID, the
// reflection would be taken for the original's duplicate.
func (s *session) namesTarget(ctx context.Context, st *wire.Stanza, r *room, res *pb.CommandResult) bool {
	if res.MessageId == "" {
		return false
	}
	var target string
	if c := st.Child(nsCorrect, "replace"); c != nil {
		target = c.Attr("id")
	} else if c := st.Child(nsRetract, "retract"); c != nil {
		target = c.Attr("id")
	} else if c := st.Child(nsReactions, "reactions"); c != nil {
		target = c.Attr("id")
	}
	if target == "" {
		return false
	}
	ref, err := s.t.lookupXMPP(ctx, s.LoginID(), r.chatID, target)
	return err == nil && ref.RemoteID == res.MessageId
}
