package telegram

import (
	"strconv"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Paid media bought in a Telegram app (or made free) after its message
// came: Telegram tells only updateMessageExtendedMedia, the message's
// media as it is now. The message stayed its price and "buy it in
// Telegram" for good. A correction carries no file (the contract's
// EditEvent), so the file comes as a message of its own replying to the
// paid post, from the post's chat, under the post's ID and ".paid", so
// that the same update told twice shows once; in a forum, in the post's
// topic when it was kept (a post that came live).

// paidBoughtText is that message's text (the file's caption).
const paidBoughtText = "Paid media bought:"

// paidBoughtEvents is the file of paid media now bought; nothing while
// it is still a preview.
func (s *Session) paidBoughtEvents(u *tg.UpdateMessageExtendedMedia) []*pb.Event {
	md := &tg.MessageMediaPaidMedia{ExtendedMedia: u.ExtendedMedia}
	if _, preview := paidInner(md).(*tg.MessageMediaPaidMedia); preview {
		return nil // a new preview: nothing bought yet
	}
	chat := peerChatID(u.Peer)
	a := s.attachmentOf(chat, &tg.Message{ID: u.MsgID, PeerID: u.Peer, Media: md})
	if a == nil {
		return nil
	}
	text := paidBoughtText
	if more := paidText(md); more != "" { // an album: where the others are
		text += "\n" + more
	}
	a.Caption = text
	snd := &pb.Sender{UserId: chat}
	room := chat
	switch p := u.Peer.(type) {
	case *tg.PeerChannel:
		if c, ok := s.peers.channel(p.ChannelID); ok {
			snd.Name = c.Title
		}
		// In a forum, the post's topic as kept when the post came live:
		// the update names none.
		room = s.channelMessageChat(p.ChannelID, u.MsgID, 0)
	case *tg.PeerUser:
		snd.Name = s.peers.name(p.UserID)
	}
	return []*pb.Event{{ChatId: room, ChatType: s.peers.chatType(chat), Sender: snd,
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: strconv.Itoa(u.MsgID) + ".paid",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text, ReplyToId: strconv.Itoa(u.MsgID), Attachments: []*pb.Attachment{a}}}}}
}
