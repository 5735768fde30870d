package bridge

import (
	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The network's invitation of the user to a group they are not in yet
// (InvitedEvent: Signal's pending members) reaches the user's clients as
// the group's room inviting them: a XEP-0045 §7.8.2 mediated invitation,
// from the room's address, naming the inviter's puppet. Gajim shows it
// with Accept and Decline: Accept joins the room (the plugin's JoinChat
// accepts), Decline sends the room a muc#user decline (DeclineInvite,
// room_decline.go). A XEP-0249 direct invitation would carry no decline
// (Gajim offers none for it), and both at once would show twice. Before,
// the invitation came only as a text in the inviter's chat, which no
// client could answer.
//
// It is sent once: the store drops an event whose (login, chat,
// event_id) it has committed, and its id comes from the event_id, so a
// delivery again after a crash is the same stanza. It carries no body:
// the plugin's text notice in the inviter's chat, if any, is for the
// clients that show no invitation.

// invitedEvent renders the invitation of the session's user to the
// event's chat.
func (s *session) invitedEvent(d delivery, inv *pb.InvitedEvent) [][]byte {
	ev, t := d.ev, s.t
	room, err := t.puppetJID(ev.ChatId)
	if err != nil {
		t.log.Warn("an invitation to a group with no room address; dropped", "login", ev.LoginId, "chat", ev.ChatId, "err", err)
		return nil
	}
	// XEP-0045 requires the inviter's address: without one known, the
	// room's own stands for it.
	inviter := room.String()
	if id := ev.GetSender().GetUserId(); id != "" && !ev.GetSender().GetIsFromMe() {
		if pj, err := t.puppetJID(id); err == nil {
			inviter = pj.String()
		}
	}
	t.log.Info("the user is invited to a group", "user", s.user, "login", ev.LoginId, "chat", ev.ChatId, "room", room.String())
	var w wire.Writer
	w.Start("message", "").Attr("from", room.String()).Attr("to", s.user).Attr("id", d.xid)
	w.Start("x", muc.NSUser).Start("invite", "").Attr("from", inviter)
	reason := inv.GetReason()
	if reason == "" && inv.GetChatName() != "" {
		// Shown beside the invitation (Gajim): the room's name is not
		// in it, and a group one is not in may have no disco#info name.
		reason = "Invitation to “" + inv.GetChatName() + "”"
	}
	if reason = wire.XMLSafe(reason); reason != "" {
		w.Leaf("reason", "", reason)
	}
	w.End()
	if pw := inv.GetPassword(); pw != "" {
		// XEP-0045 §7.8.2: the room's password, beside the invite; the
		// client joins with it (WhatsApp: the private invitation).
		w.Leaf("password", "", wire.XMLSafe(pw))
	}
	w.End()
	return [][]byte{w.Bytes()}
}
