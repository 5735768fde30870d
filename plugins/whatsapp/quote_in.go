package whatsapp

import (
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// withQuote puts in m, a reply, what WhatsApp carries of the message it
// answers (ContextInfo's QuotedMessage and Participant): its text or a
// file's caption, else the file's name, and its author, "from me" for
// the user's own. The gateway shows them for a message it never had:
// one from before the login, whose history WhatsApp gave only in part.
// Before, such a reply came with no context.
func (c inbound) withQuote(m *pb.MessageEvent, ci *waE2E.ContextInfo) {
	q := c.content(ci.GetQuotedMessage())
	if q == nil {
		return
	}
	text := q.Text
	if text == "" && len(q.Attachments) > 0 {
		text = q.Attachments[0].Name
	}
	if text == "" {
		return
	}
	m.QuoteText = text
	author, err := types.ParseJID(ci.GetParticipant())
	if err != nil || author.User == "" {
		return
	}
	if id := c.ids.userID(author.ToNonAD()); id == c.self {
		m.QuoteFromMe = true
	} else {
		m.QuoteAuthorId = id
	}
}
