package bridge

import (
	pb "passerelle.im/passerelle/plugins/proto"
)

// maxQuoteAuthorBytes bounds the name a network quote is credited to: a
// name is a few words, not the quote's room.
const maxQuoteAuthorBytes = 100

// networkQuote is the quote the network gave with a reply, as the
// fallback shows it: "Name: text", or the text alone when the network
// named no author; "" when it gave no text.
func (c chatOut) networkQuote(m *pb.MessageEvent) string {
	if m.QuoteText == "" {
		return ""
	}
	author := c.quoteAuthor(m)
	if author == "" {
		return m.QuoteText
	}
	if len(author) > maxQuoteAuthorBytes {
		author = cutText(author, maxQuoteAuthorBytes, false)
	}
	return author + ": " + m.QuoteText
}

// quoteAuthor names the author of a network quote as the user knows
// them: in a room, by their nick there (room_reply.go); else by the
// contact's name, "You" for the user, or the bare user ID when the
// gateway has no name for it.
func (c chatOut) quoteAuthor(m *pb.MessageEvent) string {
	if c.group {
		if nick := c.roomQuoteAuthor(m.QuoteAuthorId, m.QuoteFromMe); nick != "" {
			return nick
		}
	}
	if m.QuoteFromMe {
		return "You"
	}
	id := m.QuoteAuthorId
	if id == "" {
		return ""
	}
	if p, err := c.t.db.GetPuppet(c.t.name, c.ev.LoginId, id); err == nil && p.Name != "" {
		return p.Name
	}
	return id
}
