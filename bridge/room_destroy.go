package bridge

import (
	"context"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// An owner's destroy of a room (XEP-0045 §10.9, muc#owner <destroy/>:
// Gajim's and Conversations' "Destroy") deletes the group on the network
// where the network can (DeleteChat): Telegram's basic groups, channels
// and supergroups. On success the room ends for every joined resource
// of the user as for a group the network deleted (destroyedRoom: the
// presence says destroyed, with the owner's reason; the archive goes),
// then the IQ is answered. The network's own deletion event, which may
// come before the command's result or after it, ends the room once: the
// first to come ends it, and the owner's reason is the one shown. A
// network without deleting (WhatsApp, Signal, IRC: UNSUPPORTED), or a
// refusal, is answered with an error saying to leave instead, and
// nothing changes. One who is no owner is forbidden, as the XEP says,
// and nothing is sent to the network.

// leaveInstead is how to leave a group, for the texts that refuse its
// deletion.
const leaveInstead = "to leave it, send /leave in the room, or use the gateway's leave-group command"

// destroyRoom answers the <destroy/> d of r (a muc#owner set).
func (s *session) destroyRoom(ctx context.Context, st *wire.Stanza, r *room, d *wire.Element) {
	t := s.t
	r.mu.Lock()
	owner := r.selfAff == pb.Affiliation_AFFILIATION_OWNER
	r.mu.Unlock()
	if !owner {
		t.send(ctx, wire.ErrorReply(st, wire.Forbidden, "only the group's owner may destroy its room; "+leaveInstead))
		return
	}
	reason := ""
	if el := d.Child("", "reason"); el != nil {
		reason = strings.TrimSpace(el.Text)
	}
	shown := reason
	if shown == "" {
		shown = "the group was deleted by its owner"
	}
	s.destroying.Store(r.chatID, shown)
	t.host.Send(&pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_DeleteChat{DeleteChat: &pb.DeleteChat{Reason: reason}}}, func(res *pb.CommandResult) {
		defer s.destroying.CompareAndDelete(r.chatID, shown)
		if e := res.Error; e != nil {
			t.log.Info("group not deleted", "user", s.user, "room", r.jid, "code", e.Code, "err", e.Text)
			t.send(ctx, wire.ErrorReply(st, conditionOf(e.Code), s.notDeletedText(e)))
			return
		}
		// None when the network's deletion event ended the room first;
		// both at once tell each resource once (endRoom clears joined).
		if cur := s.rooms.get(r.chatID); cur != nil {
			out, turn := s.destroyedRoom(ctx, cur, "", shown) // room_in.go
			if err := t.db.DeleteArchive(context.WithoutCancel(ctx), t.roomKey(s.user, cur.chatID)); err != nil {
				t.log.Error("archive of a deleted group not deleted", "room", cur.jid, "err", err)
			}
			s.writeInTurn(ctx, turn, out)
		}
		t.log.Info("user deleted a group", "user", s.user, "room", r.jid)
		t.send(ctx, wire.Result(st).Bytes())
	})
}

// notDeletedText says why the group was not deleted, and how to leave
// it instead: the group is unchanged.
func (s *session) notDeletedText(e *pb.Error) string {
	if e.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		// WhatsApp, Signal and IRC delete no group for everyone;
		// leaving in its place would tell the owner of a deletion
		// when the group goes on for its other members.
		return s.t.displayName() + " has no deleting of a group for everyone from here, and the group stays for its other members; " + leaveInstead
	}
	why := strings.TrimSpace(e.Text)
	if why == "" {
		why = "the network did not delete the group"
	}
	return why + "; the group is unchanged (" + leaveInstead + ")"
}

// ownDestroyReason is the reason a room of the group chatID shows when
// the network's deletion event ends it: the owner's words while their
// destroy is under way (the event may come before the command's
// result), else the network's.
func (s *session) ownDestroyReason(chatID, network string) string {
	if v, ok := s.destroying.Load(chatID); ok {
		return v.(string)
	}
	return network
}
