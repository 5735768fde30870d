package whatsapp

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// WhatsApp's "@all" in a group mentions every member (the apps offer it
// among the members when "@" is typed): the text says "@all", and its
// ContextInfo's nonJIDMentions is 1 (as Baileys sends it,
// WhiskeySockets/Baileys#2396). Before, "@all" went as plain text, which
// notified no one, and one that came was not marked as mentioning the
// user.

// mentionAllWord is the word that mentions all of a group's members.
const mentionAllWord = "@all"

// mentionAllFlag is nonJIDMentions' value for "@all".
const mentionAllFlag = 1

// mentionAllAt are the offsets of each "@all" written as a word in text:
// not inside a longer word ("@allez", "x@all").
func mentionAllAt(text string) []int {
	var at []int
	from := 0
	for {
		i := strings.Index(text[from:], mentionAllWord)
		if i < 0 {
			return at
		}
		start, end := from+i, from+i+len(mentionAllWord)
		from = end
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if start > 0 && isWordRune(before) || end < len(text) && isWordRune(after) {
			continue
		}
		at = append(at, start)
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// mentionAllWords are the offsets of the "@all"s of text (as a word,
// mentionAllAt) that mention all the members: not those in a link (a
// word holding "://") nor in code or a link that spans mark, which
// quote "@all" rather than say it. WhatsApp's flag marks the whole
// message, so such an "@all" would notify everyone.
func mentionAllWords(text string, spans []*pb.Span) []int {
	var at []int
	for _, i := range mentionAllAt(text) {
		if !inURL(text, i) && !quotedBy(spans, i) {
			at = append(at, i)
		}
	}
	return at
}

// inURL says whether offset i of text is in a word holding "://".
func inURL(text string, i int) bool {
	start := strings.LastIndexFunc(text[:i], unicode.IsSpace) + 1
	end := len(text)
	if n := strings.IndexFunc(text[i:], unicode.IsSpace); n >= 0 {
		end = i + n
	}
	return strings.Contains(text[start:end], "://")
}

// quotedBy says whether offset i is in one of spans that is code, a
// preformatted block or a link.
func quotedBy(spans []*pb.Span, i int) bool {
	for _, sp := range spans {
		switch sp.Style {
		case pb.Span_STYLE_CODE, pb.Span_STYLE_PRE, pb.Span_STYLE_LINK:
			if int(sp.Start) <= i && i < int(sp.End) {
				return true
			}
		}
	}
	return false
}

// withMentionAll marks ci as mentioning all the members, making one when
// nil.
func withMentionAll(ci *waE2E.ContextInfo) *waE2E.ContextInfo {
	if ci == nil {
		ci = &waE2E.ContextInfo{}
	}
	ci.NonJIDMentions = proto.Uint32(mentionAllFlag)
	return ci
}

// textMentionAll is m, a text message, marked as mentioning all the
// members: a plain Conversation becomes the ExtendedTextMessage that
// carries a ContextInfo. Any other message is m.
func textMentionAll(m *waE2E.Message) *waE2E.Message {
	if c := m.Conversation; c != nil {
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: c, ContextInfo: withMentionAll(nil)}}
	}
	if et := m.GetExtendedTextMessage(); et != nil {
		et.ContextInfo = withMentionAll(et.ContextInfo)
	}
	return m
}

// mentionAllSpans marks each "@all" of text (styled by spans) as a
// mention of the user (self: their login ID), as a mention of them by
// number is, when ci says the message mentions all the members.
func mentionAllSpans(text string, spans []*pb.Span, ci *waE2E.ContextInfo, self string) []*pb.Span {
	if ci.GetNonJIDMentions()&mentionAllFlag == 0 || self == "" {
		return nil
	}
	var all []*pb.Span
	for _, at := range mentionAllWords(text, spans) {
		all = append(all, &pb.Span{Start: uint32(at), End: uint32(at + len(mentionAllWord)), Style: pb.Span_STYLE_MENTION, UserId: self})
	}
	return all
}
