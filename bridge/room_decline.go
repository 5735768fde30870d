package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A decline (XEP-0045 §7.8.2: a muc#user <decline/> the user's client
// sends to a room's bare address) answers the network's invitation to
// that group, where the network invites before one is in a group
// (Signal's pending members): the plugin declines it (DeclineInvite).
// Nothing is answered when it went through, as a room forwards a
// decline and says nothing; a refusal (no such invitation, a plugin
// that cannot) is an error reply. Before, the decline went the
// one-to-one path, as a message to a "contact" named after the group,
// and was dropped. A decline to a contact's address stays theirs.

// declineOf is the decline a message carries, nil when none (or when the
// message is a groupchat one, or an error).
func declineOf(st *wire.Stanza) *wire.Element {
	if st.Type() == "groupchat" || st.Type() == "error" {
		return nil
	}
	x := st.Child(muc.NSUser, "x")
	if x == nil {
		return nil
	}
	return x.Child(muc.NSUser, "decline")
}

// declineInvite sends the plugin the user's decline d of the invitation
// to chatID.
func (t *transport) declineInvite(ctx context.Context, st *wire.Stanza, s *session, user, chatID string, d *wire.Element) {
	if t.roomRefused(ctx, st, user, s) {
		return
	}
	reason := ""
	if r := d.Child("", "reason"); r != nil {
		reason = r.Text
	}
	t.log.Info("declining an invitation to a group", "user", user, "chat", chatID)
	s.sendInTurn(ctx, st, []*pb.Command{{LoginId: s.LoginID(), ChatId: chatID,
		Action: &pb.Command_DeclineInvite{DeclineInvite: &pb.DeclineInvite{Reason: reason}}}})
}
