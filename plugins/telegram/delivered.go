package telegram

import (
	"hash/fnv"
	"strconv"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/recent"
)

// deliveredTexts remembers, per message, a hash of the text, formatting
// and file of the message event the gateway took for it (its journal
// kept it), for the most recent messages: a correction that would give
// the same again is dropped. The catch-up gives a message sent and
// edited while the gateway was away as it is now, and its edit too: the
// user's own message from another app came with a correction of the
// same text after it (TestGapOwnPhoneMessageEdited). Only what the
// plugin handed over counts, noted once kept: the gateway's own message
// (its send named it, nothing handed over) has none, so its edit made
// on the phone in the gap comes (TestGapOwnMessageEdited); an edit
// handed over, and the gateway's own correction, forget the note (the
// text shown is no longer the one noted); an event not kept is not
// noted, so a catch-up told again gives its edit again
// (TestGapEditNotKeptComesAgain).
type deliveredTexts struct {
	recent.Map[string, uint64]
}

// deliveredHash is the hash of a message's text, formatting and file
// (a, or nil) as an event says them.
func deliveredHash(text string, spans []*pb.Span, a *pb.Attachment) uint64 {
	h := fnv.New64a()
	var b [8]byte
	v := textHash(text, spans)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	h.Write(b[:])
	if a != nil {
		h.Write([]byte("|file|" + a.GetRef() + "|" + a.GetUrl() + "|" + a.Name + "|" + a.MimeType))
	}
	return h.Sum64()
}

// same reports whether message id of chat was handed over with text,
// spans and file a.
func (d *deliveredTexts) same(chat string, id int, text string, spans []*pb.Span, a *pb.Attachment) bool {
	h, ok := d.Get(chat + "/" + strconv.Itoa(id))
	return ok && h == deliveredHash(text, spans, a)
}

// forget drops what is noted of message id of chat.
func (d *deliveredTexts) forget(chat string, id string) {
	d.Delete(chat + "/" + id)
}

// kept notes evs, kept by the gateway's journal: a new message (its
// event ID Telegram's message ID) with its text and file; a correction
// forgets its message's note.
func (d *deliveredTexts) kept(evs []*pb.Event) {
	for _, ev := range evs {
		switch p := ev.Payload.(type) {
		case *pb.Event_Message:
			if _, err := strconv.Atoi(ev.EventId); err != nil {
				continue // a notice of the plugin's own, no message of Telegram's
			}
			var a *pb.Attachment
			if as := p.Message.GetAttachments(); len(as) > 0 {
				a = as[0]
			}
			d.Put(ev.ChatId+"/"+ev.EventId, deliveredHash(p.Message.GetText(), p.Message.GetSpans(), a), shownLimit)
		case *pb.Event_Edit:
			d.forget(ev.ChatId, p.Edit.GetTargetId())
		}
	}
}
