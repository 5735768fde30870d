package botmode

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Telegram counts entity offsets in UTF-16 code units; the contract's
// spans in UTF-8 bytes. offsets maps one to the other over one text.
type offsets struct {
	// byteAt[i] is the byte offset of UTF-16 unit i (len = units + 1).
	byteAt []int
	// unitAt maps a byte offset at a rune boundary to its UTF-16 unit.
	unitAt map[int]int
}

func newOffsets(text string) offsets {
	o := offsets{byteAt: make([]int, 0, len(text)+1), unitAt: make(map[int]int, len(text)+1)}
	units := 0
	for i, r := range text {
		o.unitAt[i] = units
		o.byteAt = append(o.byteAt, i)
		if utf8.RuneLen(r) == 4 { // outside the BMP: a surrogate pair
			o.byteAt = append(o.byteAt, i)
			units++
		}
		units++
	}
	o.unitAt[len(text)] = units
	o.byteAt = append(o.byteAt, len(text))
	return o
}

// toByte is the byte offset of UTF-16 unit u, clamped to the text.
func (o offsets) toByte(u int) int {
	switch {
	case u < 0:
		return 0
	case u >= len(o.byteAt):
		return o.byteAt[len(o.byteAt)-1]
	}
	return o.byteAt[u]
}

// toUnit is the UTF-16 unit at byte offset b; ok is false off a rune
// boundary or past the text.
func (o offsets) toUnit(b int) (int, bool) {
	u, ok := o.unitAt[b]
	return u, ok
}

// spansOf turns a message's entities into the contract's spans. Entities
// with no style of the contract (hashtags, commands, plain URLs, which
// clients link by themselves) are left out.
// byName is the user ID of a username (without its @; 0 for none
// known), for an @username's mention; nil leaves those as text.
func spansOf(text string, ents []models.MessageEntity, byName func(string) int64) []*pb.Span {
	if len(ents) == 0 {
		return nil
	}
	o := newOffsets(text)
	var spans []*pb.Span
	for _, e := range ents {
		sp := &pb.Span{Start: uint32(o.toByte(e.Offset)), End: uint32(o.toByte(e.Offset + e.Length))}
		if sp.End <= sp.Start {
			continue
		}
		switch e.Type {
		case models.MessageEntityTypeBold:
			sp.Style = pb.Span_STYLE_BOLD
		case models.MessageEntityTypeItalic:
			sp.Style = pb.Span_STYLE_ITALIC
		case models.MessageEntityTypeStrikethrough:
			sp.Style = pb.Span_STYLE_STRIKE
		case models.MessageEntityTypeCode:
			sp.Style = pb.Span_STYLE_CODE
		case models.MessageEntityTypePre:
			sp.Style = pb.Span_STYLE_PRE
		case models.MessageEntityTypeBlockquote, models.MessageEntityTypeExpandableBlockquote:
			sp.Style = pb.Span_STYLE_QUOTE
		case models.MessageEntityTypeSpoiler:
			sp.Style = pb.Span_STYLE_SPOILER
		case models.MessageEntityTypeTextLink:
			sp.Style, sp.Url = pb.Span_STYLE_LINK, e.URL
		case models.MessageEntityTypeTextMention:
			if e.User == nil {
				continue
			}
			sp.Style, sp.UserId = pb.Span_STYLE_MENTION, strconv.FormatInt(e.User.ID, 10)
		case models.MessageEntityTypeMention:
			// @username: the Bot API names no user, the text does.
			var id int64
			if byName != nil {
				id = byName(strings.TrimPrefix(text[sp.Start:sp.End], "@"))
			}
			if id == 0 {
				continue
			}
			sp.Style, sp.UserId = pb.Span_STYLE_MENTION, strconv.FormatInt(id, 10)
		default:
			continue
		}
		spans = append(spans, sp)
	}
	return spans
}

// entitiesOf turns the contract's spans into entities of text. A span off
// the text's rune boundaries is dropped rather than sent wrong.
func entitiesOf(text string, spans []*pb.Span) []models.MessageEntity {
	if len(spans) == 0 {
		return nil
	}
	o := newOffsets(text)
	var ents []models.MessageEntity
	for _, sp := range spans {
		start, ok1 := o.toUnit(int(sp.Start))
		end, ok2 := o.toUnit(int(sp.End))
		if !ok1 || !ok2 || end <= start {
			continue
		}
		e := models.MessageEntity{Offset: start, Length: end - start}
		switch sp.Style {
		case pb.Span_STYLE_BOLD:
			e.Type = models.MessageEntityTypeBold
		case pb.Span_STYLE_ITALIC:
			e.Type = models.MessageEntityTypeItalic
		case pb.Span_STYLE_STRIKE:
			e.Type = models.MessageEntityTypeStrikethrough
		case pb.Span_STYLE_CODE:
			e.Type = models.MessageEntityTypeCode
		case pb.Span_STYLE_PRE:
			e.Type = models.MessageEntityTypePre
		case pb.Span_STYLE_QUOTE:
			e.Type = models.MessageEntityTypeBlockquote
		case pb.Span_STYLE_SPOILER:
			e.Type = models.MessageEntityTypeSpoiler
		case pb.Span_STYLE_LINK:
			if sp.Url == "" {
				continue
			}
			e.Type, e.URL = models.MessageEntityTypeTextLink, sp.Url
		case pb.Span_STYLE_MENTION:
			id, err := strconv.ParseInt(sp.UserId, 10, 64)
			if err != nil {
				continue
			}
			e.Type, e.User = models.MessageEntityTypeTextMention, &models.User{ID: id}
		default:
			continue
		}
		ents = append(ents, e)
	}
	return ents
}

// utf16Len is the length of s in UTF-16 code units, as Telegram counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
