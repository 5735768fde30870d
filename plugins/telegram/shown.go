package telegram

import (
	"hash/fnv"
	"strconv"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/recent"
)

// shownLimit bounds the messages whose shown text is remembered (the
// most recent ones): an edit of an older message is passed on as it is.
const shownLimit = 4096

// shownTexts remembers, per message, a hash of the text and formatting
// last given to the gateway. Telegram edits a message without changing
// its text (edit_hide: a link's preview added, a bot's buttons): such an
// edit is no correction, and only the text tells it from a real one.
type shownTexts struct {
	recent.Map[string, uint64]
}

// textHash is the hash of a message's text and formatting.
func textHash(text string, spans []*pb.Span) uint64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	for _, sp := range spans {
		h.Write([]byte("|" + strconv.Itoa(int(sp.Start)) + "," + strconv.Itoa(int(sp.End)) + "," + strconv.Itoa(int(sp.Style)) + "," + sp.Url + "," + sp.UserId))
	}
	return h.Sum64()
}

// note records message id of chat as shown with text and spans.
func (t *shownTexts) note(chat string, id int, text string, spans []*pb.Span) {
	t.Put(chat+"/"+strconv.Itoa(id), textHash(text, spans), shownLimit)
}

// same reports whether message id of chat was shown with text and spans.
func (t *shownTexts) same(chat string, id int, text string, spans []*pb.Span) bool {
	h, ok := t.Get(chat + "/" + strconv.Itoa(id))
	return ok && h == textHash(text, spans)
}

// noteShortSent notes the text of a send Telegram answered with
// updateShortSentMessage: no message comes for it through the updates,
// and a link's preview added later comes as an edit of it.
func (s *Session) noteShortSent(chat string, req *tg.MessagesSendMessageRequest, upd tg.UpdatesClass) {
	u, ok := upd.(*tg.UpdateShortSentMessage)
	if !ok {
		return
	}
	m := &tg.Message{ID: u.ID, Out: true, Message: req.Message, Entities: u.Entities, Media: u.Media}
	if len(u.Entities) == 0 {
		m.Entities = req.Entities
	}
	text, spans := s.messageText(m)
	s.shown.note(chat, u.ID, text, spans)
	s.noteQuoted(chat, m, text) // quote.go
}
