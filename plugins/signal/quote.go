package signal

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A Signal reply carries a quote of the message it answers: its author
// and timestamp, which name it, and its text (with the text's mentions
// and styles) and files' types, which a recipient's app shows when it
// does not have the message (a member who joined after it, a message
// that disappeared or was deleted on that device). The contract's reply
// names the message only, so the plugin keeps the start of each
// message's text in the metadata the gateway stores with it and hands
// back in reply_to_meta. Before, the quote went without its text.

// maxQuoteBytes bounds the text a message's metadata keeps for quotes:
// Signal's apps show two or three lines of a quote, and the metadata
// must fit in sdk.MaxMetaBytes.
const maxQuoteBytes = 300

// quoted is what a reply quotes of a message.
type quoted struct {
	Text     string   `json:"x,omitempty"`
	Mentions []string `json:"m,omitempty"` // signal-cli's "start:length:recipient"
	Styles   []string `json:"s,omitempty"` // signal-cli's "start:length:STYLE"
	// Type is the content type of the message's first file.
	Type string `json:"f,omitempty"`
}

// quoteOf is what a reply quotes of a message of text (with its spans)
// and first file of type fileType ("": none): the text's start, at most
// max bytes, cut at a character.
func quoteOf(text string, spans []*pb.Span, fileType string, max int) *quoted {
	q := &quoted{}
	if len(text) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	q.Text = text
	// A span past the cut is dropped (encodeSpans).
	q.Mentions, q.Styles = encodeSpans(text, spans)
	q.Type = fileType
	if q.Text == "" && q.Type == "" {
		return nil
	}
	return q
}

// replyRef names the message a message of the user's replies to, so
// that an edit of it quotes that message again: Signal's apps keep a
// reply's quote through an edit only when the edit carries a quote
// (Signal-Android's EditMessageProcessor), and an edit from XMPP went
// without one, the quote gone from the recipients' phones. Quote is
// what the reply quoted of it (nil: nothing, or a reply from before),
// quoted again by the edit, for an app without that message.
type replyRef struct {
	Timestamp int64   `json:"t"`
	Author    string  `json:"a"`
	Quote     *quoted `json:"q,omitempty"`
}

// quoteMeta is the metadata of a message by author at ts whose text,
// spans and first file's type a reply quotes, and which replies to
// reply (nil: none); within sdk.MaxMetaBytes, its text shortened as
// needed (JSON may escape a character in six bytes). Its own words go
// before what the reply quoted: that is left out before they are cut.
func quoteMeta(author string, ts int64, text string, spans []*pb.Span, fileType string, reply *replyRef) []byte {
	replies := []*replyRef{reply}
	if reply != nil && reply.Quote != nil {
		replies = append(replies, &replyRef{Timestamp: reply.Timestamp, Author: reply.Author})
	}
	for max := maxQuoteBytes; ; max /= 2 {
		q := quoteOf(text, spans, fileType, max)
		for _, r := range replies {
			m := msgMeta{Author: author, Timestamp: ts, Quote: q, Reply: r}
			if b, err := json.Marshal(m); err == nil && len(b) <= sdk.MaxMetaBytes {
				return b
			}
		}
		if max == 0 {
			return metaOf(author, ts)
		}
	}
}

// replyOfMeta is the message a message replies to, as its metadata
// keeps it (nil: none, or not kept).
func replyOfMeta(meta []byte) *replyRef {
	var m msgMeta
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil || m.Reply == nil || m.Reply.Timestamp <= 0 || m.Reply.Author == "" {
		return nil
	}
	return m.Reply
}

// quoteOfMeta reads what a reply quotes from a message's metadata (nil:
// none kept, as for messages from before).
func quoteOfMeta(meta []byte) *quoted {
	var m msgMeta
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil {
		return nil
	}
	return m.Quote
}

// addTo puts the quote's text, mentions, styles and file type in the
// parameters of signal-cli's send (--quote-message, --quote-mention,
// --quote-text-style, --quote-attachment: signal-cli 0.12.3 and later;
// JSON-RPC takes a list's name in the plural too, as for "mentions").
func (q *quoted) addTo(p map[string]any) {
	if q == nil {
		return
	}
	if q.Text != "" {
		p["quoteMessage"] = q.Text
	}
	if len(q.Mentions) > 0 {
		p["quoteMentions"] = q.Mentions
	}
	if len(q.Styles) > 0 {
		p["quoteTextStyles"] = q.Styles
	}
	if q.Type != "" {
		p["quoteAttachments"] = []string{q.Type}
	}
}

// firstType is the content type of the first of files that has one.
func firstType(files []*pb.Attachment) string {
	for _, f := range files {
		if f.GetMimeType() != "" {
			return f.MimeType
		}
	}
	return ""
}

// quotedType is the content type of a received message's first file, as
// Signal's apps quote it (the file of a long text is its body).
func quotedType(dm *dataMessage) string {
	if dm.Sticker != nil {
		return stickerType
	}
	for _, a := range dm.Attachments {
		if a.ContentType != "" && a.ContentType != longTextType {
			return a.ContentType
		}
	}
	return ""
}

// receivedQuote puts in m, a received reply, what its quote carries of
// the message it answers: the text (its mentions as "@ID", its file
// named when it has no text) and the author, "from me" for the user's
// own. The gateway shows them when it does not have that message: one
// from before the device was linked (Signal gives a linked device no
// history), or lost. Before, such a reply came with no context.
func (s *Session) receivedQuote(ctx context.Context, m *pb.MessageEvent, q *quote) {
	text := hideSpoilers(s.decodeText(ctx, q.Text, q.Mentions, q.TextStyles))
	if text == "" {
		text = quotedFileText(q.Attachments)
	}
	if text == "" {
		return
	}
	m.QuoteText = text
	switch uid := s.ids.lookup(q.AuthorNumber, q.AuthorUUID, s.account()); {
	case uid == "":
	case uid == s.selfID():
		m.QuoteFromMe = true
	default:
		m.QuoteAuthorId = uid
	}
}

// replyInto makes m, a received message, a reply to the message its
// quote q names (nil: none), with what q carries of it.
func (s *Session) replyInto(ctx context.Context, m *pb.MessageEvent, q *quote) {
	if q == nil {
		return
	}
	m.ReplyToId = s.refID(s.chats.original(q.ID, s.whoOf(q.AuthorNumber, q.AuthorUUID)...), q.AuthorNumber, q.AuthorUUID)
	s.receivedQuote(ctx, m, q)
}

// replyRefOf is the message a message of sender's with quote q replies
// to, with what q quotes of it, kept for the user's own only (for an
// edit from XMPP); nil when none.
func (s *Session) replyRefOf(ctx context.Context, sender *pb.Sender, q *quote) *replyRef {
	if q == nil || !sender.GetIsFromMe() || q.ID <= 0 || (q.AuthorNumber == "" && q.AuthorUUID == "") {
		return nil
	}
	text, spans := s.decodeText(ctx, q.Text, q.Mentions, q.TextStyles)
	fileType := ""
	if len(q.Attachments) > 0 {
		fileType = q.Attachments[0].ContentType
	}
	return &replyRef{Timestamp: q.ID, Author: cmp.Or(q.AuthorNumber, q.AuthorUUID), Quote: quoteOf(text, spans, fileType, maxQuoteBytes)}
}

// spoilerMark stands for each character of a spoiler in a quote.
const spoilerMark = "▒"

// hideSpoilers is text with the characters of its spoiler spans replaced
// by spoilerMark (spaces kept): a quote is plain text, and Signal's apps
// keep a quoted spoiler hidden too. The other spans are dropped.
func hideSpoilers(text string, spans []*pb.Span) string {
	hidden := make([]bool, len(text)+1)
	some := false
	for _, sp := range spans {
		if sp.Style != pb.Span_STYLE_SPOILER || sp.End <= sp.Start || int(sp.End) > len(text) {
			continue
		}
		for i := sp.Start; i < sp.End; i++ {
			hidden[i], some = true, true
		}
	}
	if !some {
		return text
	}
	var b strings.Builder
	for i, r := range text {
		if hidden[i] && !unicode.IsSpace(r) {
			b.WriteString(spoilerMark)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quotedFileText says what a quoted message without text was, by its
// first file: "[Photo]", "[File: report.pdf]", "[Voice message]"; ""
// for none. signal-cli's quote gives a file's type and name only
// (JsonQuotedAttachment), not Signal's voice note flag: a voice note is
// told as one received is (isVoiceNote). Nor does it say a file was a
// sticker, whose type, image/webp without a name, a WebP photo has as
// well: both are "[Photo]", as Signal Desktop labels a quote of a
// message it does not have by its type.
func quotedFileText(files []quotedFile) string {
	if len(files) == 0 {
		return ""
	}
	f := files[0]
	if isVoiceNote(f.ContentType, f.Filename) {
		return mediatext.QuotedFileText("Voice message", "")
	}
	return mediatext.QuotedFileText(mediatext.FileKind(f.ContentType), f.Filename)
}

// stickerType is the content type of a Signal sticker, as a quote of
// one names it.
const stickerType = "image/webp"

// isVoiceNote reports whether a file of contentType and name received is
// a voice note: signal-cli does not give Signal's flag, and the apps
// record voice notes as AAC without a name, where an audio file sent has
// its name.
func isVoiceNote(contentType, name string) bool {
	return contentType == "audio/aac" && name == ""
}
