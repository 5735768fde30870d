package telegram

import (
	"strconv"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// secretChatText is what a contact's new secret chat reads as. Secret
// chats are end-to-end encrypted between two devices: the gateway does
// not take part in one, and says so rather than leave the contact
// writing to no one.
const secretChatText = "Started a secret chat: the gateway cannot open secret chats (end-to-end encrypted, in Telegram's apps only). Accept it in a Telegram app, or answer here in this ordinary chat."

// secretChatEvent is a contact's request for a secret chat
// (updateEncryption with encryptedChatRequested, which Telegram sends to
// each of the user's devices): a message from the contact in the
// ordinary private chat, by the secret chat's ID. Nothing here accepts
// or declines it.
func (s *Session) secretChatEvent(u *tg.UpdateEncryption) []*pb.Event {
	c, ok := u.Chat.(*tg.EncryptedChatRequested)
	if !ok || c.AdminID == s.self {
		return nil // accepted, discarded, or the user's own request
	}
	chat := userID(c.AdminID)
	return []*pb.Event{{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Sender:             &pb.Sender{UserId: chat, Name: s.peers.name(c.AdminID)},
		TimestampUnixMicro: int64(c.Date) * 1e6, EventId: "secret-" + strconv.Itoa(c.ID), Meta: s.readMeta(chat),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: secretChatText}}}}
}
