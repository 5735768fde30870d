package telegram

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Telegram's notices to the account itself (updateServiceNotification):
// a warning about the account, new terms of service, a session ended
// elsewhere... Its apps show one as a message of the Telegram service
// chat (the user 777000) when it has an inbox date, or as a popup. Both
// come as a message from Telegram in that chat: they were dropped, and
// the user never learnt what Telegram told the account.

// serviceUser is Telegram's own account, whose chat holds its notices
// (and the login codes).
const serviceUser = 777000

// serviceNotificationEvents is a notice to the account as a message from
// Telegram. Its event ID comes from its kind, date and text, so that the
// same notice told again is dropped as seen.
func (s *Session) serviceNotificationEvents(u *tg.UpdateServiceNotification) []*pb.Event {
	text := strings.TrimSpace(u.Message)
	var spans []*pb.Span
	if text == u.Message {
		spans = spansOf(text, u.Entities, s.userByName)
	}
	if _, none := u.Media.(*tg.MessageMediaEmpty); !none && u.Media != nil {
		media := mediaText(u.Media)
		if media == "" {
			media = mediatext.UnshownText("A file", inApp) // a photo or a file: not fetched for a notice
		}
		text, spans = mediatext.WithCaption(media, text, spans)
	}
	if text == "" {
		return nil
	}
	date, dated := u.GetInboxDate()
	at := int64(date)
	if !dated {
		at = time.Now().Unix()
	}
	h := fnv.New64a()
	h.Write([]byte(u.Type + "\x00" + strconv.Itoa(date) + "\x00" + u.Message))
	chat := userID(serviceUser)
	return []*pb.Event{{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_DIRECT,
		Sender:             &pb.Sender{UserId: chat, Name: "Telegram"},
		TimestampUnixMicro: at * 1e6, EventId: "notice-" + strconv.FormatUint(h.Sum64(), 36),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text, Spans: spans}}}}
}
