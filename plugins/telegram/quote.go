package telegram

import (
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/recent"
)

// A reply tells the gateway what it answers (reply_to_id); the gateway
// quotes that message from its own copy, and for one it never had (sent
// before the login, or lost) shows the quote the plugin gives with the
// reply instead (quote_text, quote_author_id, quote_from_me). Telegram's
// reply header carries the part of the message a sender quoted
// (quote_text) but not its author; a plain reply carries only the ID.
// So the plugin keeps the start of the messages it saw since it started
// with their authors, and fills the quote from there; a live reply to a
// message not kept asks Telegram for it, once (quotefetch.go). Before,
// such a reply came with no context.

// quoteLimit bounds the messages kept for quotes (the most recent ones).
const quoteLimit = 2048

// maxQuoteBytes bounds the text kept of a message: the gateway's quote
// is the start of the text, enough to know it by.
const maxQuoteBytes = 300

// quotedMsg is what a reply may quote of a message.
type quotedMsg struct {
	text   string
	author string // a user or chat ID, as in Sender.user_id; "" with fromMe
	fromMe bool
}

// quoteCache keeps, per chat and message ID, what a reply quotes of it.
type quoteCache struct {
	recent.Map[string, quotedMsg]
}

// quoteKey names message id of chat: its base chat, as a topic's
// messages are the forum's.
func quoteKey(chat string, id int) string {
	return baseChat(chat) + "/" + strconv.Itoa(id)
}

// note keeps message id of chat with text by author (fromMe: the user).
// A message without text (a photo) is kept too: known, a reply to it
// does not ask Telegram for it (quotefetch.go).
func (c *quoteCache) note(chat string, id int, text, author string, fromMe bool) {
	c.Put(quoteKey(chat, id), quotedMsg{text: cutQuote(text), author: author, fromMe: fromMe}, quoteLimit)
}

// edited replaces the text kept of message id of chat, when kept.
func (c *quoteCache) edited(chat string, id int, text string) {
	if text == "" {
		return
	}
	c.Update(quoteKey(chat, id), func(q quotedMsg) quotedMsg {
		q.text = cutQuote(text)
		return q
	})
}

// kept is what is kept of message id of chat.
func (c *quoteCache) kept(chat string, id int) (quotedMsg, bool) {
	return c.Get(quoteKey(chat, id))
}

// cutQuote is text's start, at most maxQuoteBytes, cut at a character.
func cutQuote(text string) string {
	if len(text) <= maxQuoteBytes {
		return text
	}
	cut := maxQuoteBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// noteQuoted keeps message m of chat, with its text as shown (a file
// without caption said as the Signal transport says it), for the
// replies that quote it.
func (s *Session) noteQuoted(chat string, m *tg.Message, text string) {
	if text == "" {
		text = quotedFileText(m.Media)
	}
	if m.Out {
		s.quotes.note(chat, m.ID, text, "", true)
		return
	}
	from := m.FromID
	if from == nil {
		from = m.PeerID // a private chat, or a channel's post
	}
	s.quotes.note(chat, m.ID, text, peerChatID(from), false)
}

// withQuote puts in me, a reply of chat with header r, what is known of
// the message it answers: the part Telegram says was quoted, else the
// text kept of it; its author as kept, else the header's reply_from. A
// message not kept is asked of Telegram when fetch (a live reply).
func (s *Session) withQuote(ctx context.Context, chat string, me *pb.MessageEvent, r *tg.MessageReplyHeader, fetch bool) {
	kept, ok := s.quotes.kept(chat, r.ReplyToMsgID)
	if !ok && fetch {
		s.fetchQuoted(ctx, chat, r.ReplyToMsgID) // quotefetch.go
		kept, ok = s.quotes.kept(chat, r.ReplyToMsgID)
	}
	text := kept.text
	if r.Quote && r.QuoteText != "" {
		text = cutQuote(r.QuoteText)
	}
	if text == "" {
		return
	}
	me.QuoteText = text
	switch {
	case ok && kept.fromMe:
		me.QuoteFromMe = true
	case ok && kept.author != "":
		me.QuoteAuthorId = kept.author
	default:
		if f, has := r.GetReplyFrom(); has && f.FromID != nil {
			if id := peerChatID(f.FromID); id == userID(s.self) {
				me.QuoteFromMe = true
			} else {
				me.QuoteAuthorId = id
			}
		}
	}
}

// quotedFileText says what a message without text was, by its file:
// "[Photo]", "[Video: clip.mp4]", "[File: report.pdf]", "[Sticker: 😀]";
// "" for none. The Signal transport quotes a file so.
func quotedFileText(media tg.MessageMediaClass) string {
	switch md := media.(type) {
	case *tg.MessageMediaPhoto:
		if _, ok := md.Photo.(*tg.Photo); ok {
			return "[Photo]"
		}
	case *tg.MessageMediaDocument:
		d, ok := md.Document.(*tg.Document)
		if !ok {
			return ""
		}
		kind, name := mediatext.FileKind(d.MimeType), ""
		for _, at := range d.Attributes {
			switch at := at.(type) {
			case *tg.DocumentAttributeFilename:
				name = at.FileName
			case *tg.DocumentAttributeAudio:
				if at.Voice {
					kind = "Voice message"
				}
			case *tg.DocumentAttributeVideo:
				if at.RoundMessage {
					kind = "Video message"
				}
			case *tg.DocumentAttributeSticker:
				if at.Alt == "" {
					return "[Sticker]"
				}
				return "[Sticker: " + at.Alt + "]"
			}
		}
		if kind == "Voice message" || kind == "Video message" {
			name = "" // a recording's name is no help
		}
		return mediatext.QuotedFileText(kind, name)
	}
	return ""
}
