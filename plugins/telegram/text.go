package telegram

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Telegram counts entity offsets in UTF-16 code units, the contract in
// UTF-8 bytes: offsets maps one to the other over a text.
type offsets struct {
	u16ToByte []int // UTF-16 offset -> byte offset; len = UTF-16 length + 1
	byteTo16  map[int]int
}

func newOffsets(s string) offsets {
	o := offsets{byteTo16: map[int]int{}}
	u := 0
	for i, r := range s {
		o.byteTo16[i] = u
		n := utf16.RuneLen(r)
		if n < 1 {
			n = 1
		}
		for range n {
			o.u16ToByte = append(o.u16ToByte, i)
		}
		u += n
	}
	o.u16ToByte = append(o.u16ToByte, len(s))
	o.byteTo16[len(s)] = u
	return o
}

// toByte is a UTF-16 offset as a byte offset, clamped to the text.
func (o offsets) toByte(u int) int {
	switch {
	case u < 0:
		return 0
	case u >= len(o.u16ToByte):
		return o.u16ToByte[len(o.u16ToByte)-1]
	}
	return o.u16ToByte[u]
}

// to16 is a byte offset as a UTF-16 offset; a byte inside a character
// counts as the character's start.
func (o offsets) to16(b int) int {
	for ; b > 0; b-- {
		if u, ok := o.byteTo16[b]; ok {
			return u
		}
	}
	return 0
}

// spansOf turns Telegram's entities into the contract's spans. byName
// is the user ID of a username (without its @; "" for none known), for
// an @username's mention; nil leaves those as text.
func spansOf(text string, ents []tg.MessageEntityClass, byName func(string) string) []*pb.Span {
	if len(ents) == 0 {
		return nil
	}
	o := newOffsets(text)
	var out []*pb.Span
	for _, e := range ents {
		start := o.toByte(e.GetOffset())
		end := o.toByte(e.GetOffset() + e.GetLength())
		if end <= start {
			continue
		}
		sp := &pb.Span{Start: uint32(start), End: uint32(end)}
		switch e := e.(type) {
		case *tg.MessageEntityBold:
			sp.Style = pb.Span_STYLE_BOLD
		case *tg.MessageEntityItalic:
			sp.Style = pb.Span_STYLE_ITALIC
		case *tg.MessageEntityStrike:
			sp.Style = pb.Span_STYLE_STRIKE
		case *tg.MessageEntityCode:
			sp.Style = pb.Span_STYLE_CODE
		case *tg.MessageEntityPre:
			sp.Style = pb.Span_STYLE_PRE
		case *tg.MessageEntityBlockquote:
			sp.Style = pb.Span_STYLE_QUOTE
		case *tg.MessageEntitySpoiler:
			sp.Style = pb.Span_STYLE_SPOILER
		case *tg.MessageEntityTextURL:
			sp.Style, sp.Url = pb.Span_STYLE_LINK, e.URL
		case *tg.MessageEntityURL:
			sp.Style, sp.Url = pb.Span_STYLE_LINK, text[start:end]
		case *tg.MessageEntityMentionName:
			sp.Style, sp.UserId = pb.Span_STYLE_MENTION, userID(e.UserID)
		case *tg.MessageEntityMention:
			// @username: Telegram names no user, the text does. A
			// username no user known has (a channel's, a stranger's)
			// stays text.
			id := ""
			if byName != nil {
				id = byName(strings.TrimPrefix(text[start:end], "@"))
			}
			if id == "" {
				continue
			}
			sp.Style, sp.UserId = pb.Span_STYLE_MENTION, id
		default:
			// Underline, hashtags, bot commands, custom emoji...:
			// XEP-0393 has no way to say them; the text stays.
			continue
		}
		out = append(out, sp)
	}
	return out
}

// entitiesOf turns the contract's spans into Telegram's entities; user
// gives a mentioned user as a request names them (nil when unknown: the
// mention then stays text).
func entitiesOf(text string, spans []*pb.Span, user func(id string) tg.InputUserClass) []tg.MessageEntityClass {
	if len(spans) == 0 {
		return nil
	}
	o := newOffsets(text)
	var out []tg.MessageEntityClass
	for _, sp := range spans {
		s, e := int(sp.Start), int(sp.End)
		if s < 0 || e > len(text) || e <= s || !utf8.ValidString(text[s:e]) {
			continue
		}
		off, n := o.to16(s), o.to16(e)-o.to16(s)
		var ent tg.MessageEntityClass
		switch sp.Style {
		case pb.Span_STYLE_BOLD:
			ent = &tg.MessageEntityBold{Offset: off, Length: n}
		case pb.Span_STYLE_ITALIC:
			ent = &tg.MessageEntityItalic{Offset: off, Length: n}
		case pb.Span_STYLE_STRIKE:
			ent = &tg.MessageEntityStrike{Offset: off, Length: n}
		case pb.Span_STYLE_CODE:
			ent = &tg.MessageEntityCode{Offset: off, Length: n}
		case pb.Span_STYLE_PRE:
			ent = &tg.MessageEntityPre{Offset: off, Length: n}
		case pb.Span_STYLE_QUOTE:
			ent = &tg.MessageEntityBlockquote{Offset: off, Length: n}
		case pb.Span_STYLE_SPOILER:
			ent = &tg.MessageEntitySpoiler{Offset: off, Length: n}
		case pb.Span_STYLE_LINK:
			if sp.Url == "" {
				continue
			}
			ent = &tg.MessageEntityTextURL{Offset: off, Length: n, URL: sp.Url}
		case pb.Span_STYLE_MENTION:
			var u tg.InputUserClass
			if user != nil {
				u = user(sp.UserId)
			}
			if u == nil {
				continue
			}
			ent = &tg.InputMessageEntityMentionName{Offset: off, Length: n, UserID: u}
		default:
			continue
		}
		out = append(out, ent)
	}
	return out
}
