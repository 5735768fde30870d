package signal

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Signal counts text positions (mentions, styles) in UTF-16 code units; the
// contract counts UTF-8 bytes. A mention is a placeholder (U+FFFC) in the
// body that the reader's app replaces with the member's name.

var styleOf = map[string]pb.Span_Style{
	"BOLD": pb.Span_STYLE_BOLD, "ITALIC": pb.Span_STYLE_ITALIC, "STRIKETHROUGH": pb.Span_STYLE_STRIKE,
	"MONOSPACE": pb.Span_STYLE_CODE, "SPOILER": pb.Span_STYLE_SPOILER,
}

var signalStyle = map[pb.Span_Style]string{
	pb.Span_STYLE_BOLD: "BOLD", pb.Span_STYLE_ITALIC: "ITALIC", pb.Span_STYLE_STRIKE: "STRIKETHROUGH",
	pb.Span_STYLE_CODE: "MONOSPACE", pb.Span_STYLE_PRE: "MONOSPACE", pb.Span_STYLE_SPOILER: "SPOILER",
}

// decodeText turns a Signal body with its mentions and styles into text
// with spans: each mention's placeholder becomes "@name" (the member's
// number, or their ACI when the number is hidden) under a mention span.
func (s *Session) decodeText(ctx context.Context, body string, mentions []mention, styles []textStyle) (string, []*pb.Span) {
	if len(mentions) == 0 && len(styles) == 0 {
		return body, nil
	}
	units := utf16.Encode([]rune(body))
	byStart := map[int]mention{}
	for _, m := range mentions {
		if m.Start >= 0 && m.Length > 0 && m.Start+m.Length <= len(units) {
			byStart[m.Start] = m
		}
	}
	pos := make([]int, len(units)+1) // UTF-16 index -> byte offset in out
	var out []byte
	var spans []*pb.Span
	for i := 0; i < len(units); {
		pos[i] = len(out)
		if m, ok := byStart[i]; ok {
			id := s.userID(ctx, m.Number, m.UUID, "") // a move it learns announced before the message
			start := len(out)
			out = append(out, '@')
			out = append(out, id...)
			spans = append(spans, &pb.Span{Start: uint32(start), End: uint32(len(out)), Style: pb.Span_STYLE_MENTION, UserId: id})
			for j := i + 1; j < i+m.Length; j++ {
				pos[j] = start
			}
			i += m.Length
			continue
		}
		n := 1
		r := rune(units[i])
		if utf16.IsSurrogate(r) && i+1 < len(units) {
			r, n = utf16.DecodeRune(r, rune(units[i+1])), 2
			pos[i+1] = len(out)
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	pos[len(units)] = len(out)
	for _, st := range styles {
		style, ok := styleOf[st.Style]
		if !ok || st.Start < 0 || st.Length <= 0 || st.Start+st.Length > len(units) {
			continue
		}
		spans = append(spans, &pb.Span{Start: uint32(pos[st.Start]), End: uint32(pos[st.Start+st.Length]), Style: style})
	}
	sort.SliceStable(spans, func(a, b int) bool { return spans[a].Start < spans[b].Start })
	return string(out), spans
}

// utf16Len is how many UTF-16 code units s takes.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// encodeSpans turns the contract's spans of text into signal-cli's
// "mention" ("start:length:recipient") and "textStyle"
// ("start:length:STYLE") parameters. Offsets out of range are dropped.
func encodeSpans(text string, spans []*pb.Span) (mentions, styles []string) {
	for _, sp := range spans {
		if sp.End <= sp.Start || int(sp.End) > len(text) || !utf8.ValidString(text[:sp.Start]) {
			continue
		}
		start := utf16Len(text[:sp.Start])
		length := utf16Len(text[sp.Start:sp.End])
		switch {
		case sp.Style == pb.Span_STYLE_MENTION && sp.UserId != "":
			mentions = append(mentions, fmt.Sprintf("%d:%d:%s", start, length, sp.UserId))
		case signalStyle[sp.Style] != "":
			styles = append(styles, fmt.Sprintf("%d:%d:%s", start, length, signalStyle[sp.Style]))
		}
	}
	return mentions, styles
}

// quoteMarks writes the quoted blocks of text (STYLE_QUOTE spans, from
// the lines an XMPP client starts with "> ") back as "> " at the start
// of each of their lines, one for each level, as Signal's users write a
// quote: Signal has no quote style, and the quoted words went as the
// user's own. The other spans move with their text; a span that starts
// at a quoted line's start leaves the mark out.
func quoteMarks(text string, spans []*pb.Span) (string, []*pb.Span) {
	levels := map[int]int{} // a quoted line's start -> its levels
	var rest []*pb.Span
	for _, sp := range spans {
		if sp.Style != pb.Span_STYLE_QUOTE {
			rest = append(rest, sp)
			continue
		}
		if sp.Start >= sp.End || int(sp.End) > len(text) {
			continue
		}
		levels[int(sp.Start)]++
		for i := int(sp.Start); i < int(sp.End)-1; i++ {
			if text[i] == '\n' {
				levels[i+1]++
			}
		}
	}
	if len(levels) == 0 {
		return text, spans
	}
	at := make([]int, 0, len(levels))
	for o := range levels {
		at = append(at, o)
	}
	sort.Ints(at)
	// moved is where offset o of text is in the new text: past the
	// marks before it, and those at it for a start (end: false).
	moved := func(o uint32, end bool) uint32 {
		n := 0
		for _, a := range at {
			if a > int(o) || (a == int(o) && end) {
				break
			}
			n += 2 * levels[a]
		}
		return o + uint32(n)
	}
	var b strings.Builder
	prev := 0
	for _, a := range at {
		b.WriteString(text[prev:a])
		b.WriteString(strings.Repeat("> ", levels[a]))
		prev = a
	}
	b.WriteString(text[prev:])
	out := make([]*pb.Span, 0, len(rest))
	for _, sp := range rest {
		c := proto.CloneOf(sp)
		c.Start, c.End = moved(sp.Start, false), moved(sp.End, true)
		out = append(out, c)
	}
	return b.String(), out
}

// headed puts head and a space before text, moving its spans along (in
// place: they are the caller's, made for text); head alone for no text.
// Not mediatext.WithHead, which puts a line break after the head (the
// Telegram plugin's forward and story-reply lines): Signal's story reply
// and edit heads read on the text's own line ("↩ Replied to your story:
// nice view").
func headed(head, text string, spans []*pb.Span) (string, []*pb.Span) {
	if text == "" {
		return head, nil
	}
	head += " "
	for _, sp := range spans {
		sp.Start += uint32(len(head))
		sp.End += uint32(len(head))
	}
	return head + text, spans
}
