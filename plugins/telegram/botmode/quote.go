package botmode

import (
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
)

// withQuote puts in msg, the event of m, a reply, what the Bot API gives
// of the message it answers (reply_to_message, whole): the part the
// sender quoted (quote), else its text or caption (a file's described as
// for any message), and its author, the bot's own as quote_from_me. The
// gateway shows them for a message it never had (the bot is told of no
// message from before it joined, and none in a group with privacy mode
// on but commands, mentions and replies). Before, such a reply came with
// no context.
func (s *Session) withQuote(msg *pb.MessageEvent, m *models.Message) {
	r := m.ReplyToMessage
	text := ""
	if m.Quote != nil {
		text = m.Quote.Text
	}
	if text == "" {
		text, _ = s.messageText(r)
	}
	if text == "" {
		return
	}
	msg.QuoteText = text
	if me := s.identity().ID; r.SenderChat == nil && r.From != nil && me != 0 && r.From.ID == me {
		msg.QuoteFromMe = true
		return
	}
	msg.QuoteAuthorId = senderOf(r).UserId
}
