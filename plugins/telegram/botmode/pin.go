package botmode

import (
	"context"
	"strconv"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.Pinner = (*Session)(nil)

// Pin pins a message for everyone in the chat, or unpins it
// (sdk.Pinner): pinChatMessage, notifying the members as Telegram's apps
// do by default, or unpinChatMessage. A bot pins in a private chat, and
// in a group or channel with the right to pin messages (a channel's: to
// edit them), which ChatLimits says. The Bot API sends a bot no update of
// what it did itself, its pin's service message included, and none of
// any unpin: the notice, from the bot, is emitted here, by an event ID
// of its own (pinNoticeID). Telegram's refusals: not enough rights is
// NOT_ALLOWED, a message it does not know NOT_FOUND.
func (s *Session) Pin(ctx context.Context, c sdk.Call, p *pb.Pin) error {
	chatID, msgID, err := s.target(c, p.TargetId)
	if err != nil {
		return err
	}
	if msgID == 0 {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram message ID", p.TargetId)
	}
	_, err = waitOutFlood(ctx, func() (bool, error) {
		if p.Unpin {
			return s.bot.UnpinChatMessage(ctx, &bot.UnpinChatMessageParams{ChatID: chatID, MessageID: msgID})
		}
		return s.bot.PinChatMessage(ctx, &bot.PinChatMessageParams{ChatID: chatID, MessageID: msgID})
	})
	if err != nil {
		what := "pinning this message"
		if p.Unpin {
			what = "unpinning this message"
		}
		return commandError(what, err)
	}
	s.states.drop(chatID) // chatstate.go
	me := s.identity()
	typ := pb.ChatType_CHAT_TYPE_DIRECT
	if ch, ok := s.chats.head(chatID); ok {
		typ = ch.chatType()
	}
	s.cfg.Host.Emit(&pb.Event{LoginId: s.cfg.LoginID, ChatId: c.ChatID, ChatType: typ, TimestampUnixMicro: time.Now().UnixMicro(),
		EventId: pinNoticeID(c, p),
		Sender:  &pb.Sender{UserId: strconv.FormatInt(me.ID, 10), IsFromMe: true},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.PinText(p.Unpin), ReplyToId: p.TargetId}}})
	return nil
}

// pinNoticeID is the event ID of the notice of the bot's pin (unpin) p:
// the chat, the message, pin or unpin, and the command's txn, which is
// what tells a later pin of the same message from this one told again
// (the gateway sends a command again, under its txn, after a restart).
// The host drops the repeat as seen. A command without a txn is never
// sent again: its notice has no ID ("", never dropped). No Telegram
// update can repeat it, as the Bot API tells a bot nothing of its own
// pins.
func pinNoticeID(c sdk.Call, p *pb.Pin) string {
	if c.TxnID == "" {
		return ""
	}
	what := "pin"
	if p.Unpin {
		what = "unpin"
	}
	return what + "/" + c.ChatID + "/" + p.TargetId + "/" + c.TxnID
}

// pinEvent is a service message saying a message was pinned
// (pinned_message): the notice from whoever pinned, replying to it; nil
// for another message. The Bot API says nothing of unpins.
func (s *Session) pinEvent(m *models.Message) *pb.Event {
	pm := m.PinnedMessage
	if pm == nil {
		return nil
	}
	target := 0
	switch {
	case pm.Message != nil:
		target = pm.Message.ID
	case pm.InaccessibleMessage != nil:
		target = pm.InaccessibleMessage.MessageID
	}
	ev := base(&m.Chat, m.Date)
	s.inTopicRoom(ev, m)
	ev.EventId = strconv.Itoa(m.ID)
	ev.Sender = senderOf(m)
	if m.From != nil && m.From.ID == s.identity().ID {
		ev.Sender.IsFromMe = true
	}
	msg := &pb.MessageEvent{Text: mediatext.PinText(false)}
	if target != 0 {
		msg.ReplyToId = strconv.Itoa(target)
	}
	ev.Payload = &pb.Event_Message{Message: msg}
	return ev
}
