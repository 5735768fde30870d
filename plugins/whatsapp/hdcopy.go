package whatsapp

import (
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// HD copies. A photo or video sent in HD goes first in standard quality,
// then as its HD copy (a "dual upload": a message of its own naming the
// first). Live, the copy is dropped (unwrap: wrappers.go): the first is
// delivered already, and the contract's corrections carry text only. In
// history both come together, and the first is shown with the copy's
// file.

// isHDCopy says whether an association is an HD copy's.
func isHDCopy(t waE2E.MessageAssociation_AssociationType) bool {
	switch t {
	case waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD, waE2E.MessageAssociation_HD_VIDEO_DUAL_UPLOAD,
		waE2E.MessageAssociation_HEVC_VIDEO_DUAL_UPLOAD:
		return true
	}
	return false
}

// hdParent is the ID of the message msg is the HD copy of ("" when it
// is none).
func hdParent(msg *waE2E.Message) types.MessageID {
	for _, m := range []*waE2E.Message{msg, msg.GetAssociatedChildMessage().GetMessage()} {
		if a := m.GetMessageContextInfo().GetMessageAssociation(); isHDCopy(a.GetAssociationType()) {
			return a.GetParentMessageKey().GetID()
		}
	}
	return ""
}

// historyHDCopies is the HD copies of a conversation, by the ID of the
// message each copies, unwrapped.
func (s *Session) historyHDCopies(chat types.JID, conv *waHistorySync.Conversation) map[types.MessageID]*events.Message {
	var out map[types.MessageID]*events.Message
	for _, hm := range conv.GetMessages() {
		web := hm.GetMessage()
		parent := hdParent(web.GetMessage())
		if parent == "" {
			continue
		}
		evt, err := s.d.cli.ParseWebMessage(chat, web)
		if err != nil {
			continue
		}
		if inner := evt.Message.GetAssociatedChildMessage().GetMessage(); inner != nil {
			evt.Message = inner
		}
		if out == nil {
			out = map[types.MessageID]*events.Message{}
		}
		out[parent] = evt
	}
	return out
}

// withHDCopy gives m, the conversion of the message first, the file of
// its HD copy, keeping the first's caption. Only a copy from the same
// sender counts (anyone in a group may name any message as the one they
// copy), of the same kind of file.
func (s *Session) withHDCopy(m *pb.MessageEvent, first *events.Message, hd *events.Message) {
	if hd == nil || len(m.Attachments) != 1 || senderOf(&hd.Info).User != senderOf(&first.Info).User || hd.Info.IsFromMe != first.Info.IsFromMe {
		return
	}
	sameKind := (first.Message.GetImageMessage() != nil && hd.Message.GetImageMessage() != nil) ||
		(first.Message.GetVideoMessage() != nil && hd.Message.GetVideoMessage() != nil)
	if !sameKind {
		return
	}
	ev := s.conv.message(hd) // its file keyed with its own ID (mediaretry.go)
	if a := ev.GetMessage().GetAttachments(); len(a) == 1 && a[0].GetRef() != "" {
		a[0].Caption = m.Attachments[0].Caption
		m.Attachments[0] = a[0]
	}
}
