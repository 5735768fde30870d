package signal

import (
	"log/slog"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A reply quotes the text of the message it answers (quote.go), which
// the gateway keeps in the metadata stored with the message when it
// came. An edit changes the text but not that metadata, so a reply to
// an edited message quoted its first words, while Signal's apps quote
// its newest. The plugin keeps the newest text of each message edited
// (by the user from XMPP or the phone, or by a contact), by the
// original's timestamp and author, in the login's folder (a tsMap,
// tsmap.go), and a reply quotes it in place of the metadata's.

// editedTextsFile is the map's file in the login's folder.
const editedTextsFile = "edited-texts.jsonl"

// editedText is one line of the file: the newest text of the message
// of timestamp TS by Author, as of the edit of timestamp At.
type editedText struct {
	TS     int64  `json:"t"`
	Author string `json:"a"`
	At     int64  `json:"e"`
	Quote  quoted `json:"q"`
}

// editedTexts is the map of edited messages to their newest texts.
type editedTexts struct{ m *tsMap[editedText] }

// loadEditedTexts reads the map of the login folder dir ("": memory
// only), bounded as the message-to-chat map is.
func loadEditedTexts(dir string, log *slog.Logger) *editedTexts {
	return &editedTexts{loadTSMap(dir, log, tsKind[editedText]{
		file: editedTextsFile, what: "edited messages' texts",
		lost: "after a restart, a reply to an edited message quotes its first text",
		max:  maxMsgChats, age: msgChatsAge,
		key:   func(e editedText) tsKey { return tsKey{e.TS, e.Author} },
		valid: func(e editedText) bool { return e.Author != "" && e.At > 0 },
	})}
}

// note records text (with its spans) as the message's of timestamp orig
// by author since the edit at ts; an edit older than the one kept (one
// handled late) changes nothing.
func (m *editedTexts) note(orig int64, author string, ts int64, text string, spans []*pb.Span) {
	if orig <= 0 || author == "" || ts <= 0 {
		return
	}
	e := editedText{TS: orig, Author: author, At: ts}
	if q := quoteOf(text, spans, "", maxQuoteBytes); q != nil {
		e.Quote = *q
	}
	m.m.put(e, func(old editedText, known bool) bool { return known && old.At >= ts })
}

// quote is what a reply quotes of the message of timestamp ts by who
// (its author's forms), q being what its metadata keeps (nil: none):
// its newest text when it was edited, with the metadata's file type.
func (m *editedTexts) quote(q *quoted, ts int64, who ...string) *quoted {
	if len(who) == 0 {
		return q
	}
	e, ok := m.m.get(ts, who...)
	if !ok {
		return q
	}
	out := e.Quote
	if q != nil {
		out.Type = q.Type
	}
	if out.Text == "" && out.Type == "" {
		return nil
	}
	return &out
}
