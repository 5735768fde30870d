package bridge

import (
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// noticeEvent renders a plugin's notice (the contract's NoticeEvent,
// which belongs to no chat) as a chat message from the gateway's own
// JID, as the gateway tells login states (account.go). It is stored and
// confirmed like a message (deliverNow): the server keeps it for a user
// who is offline, as it keeps the gateway's other chat messages. The
// id is the event's stored one, so a redelivery after a restart carries
// the same; a replay of its event_id never gets here (outbox.go dedup).
func (s *session) noticeEvent(d delivery, n *pb.NoticeEvent) [][]byte {
	text := n.GetText()
	if text == "" {
		s.t.log.Warn("plugin notice with no text; dropped", "login", d.ev.LoginId, "event_id", d.ev.EventId)
		return nil
	}
	if n.GetLevel() == pb.NoticeLevel_NOTICE_LEVEL_WARNING {
		text = "Warning: " + text
	}
	id := d.xid
	if id == "" {
		id = s.t.newID()
	}
	var w wire.Writer
	w.Start("message", "").Attr("from", s.t.domain).Attr("to", s.user).Attr("type", "chat").Attr("id", id)
	w.Leaf("body", "", text)
	return [][]byte{w.Bytes()}
}
