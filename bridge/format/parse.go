package format

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Parse reads body as XEP-0393 does and returns its text without the
// styling directives that took effect, and the spans they meant: a quote
// loses its "> " (and its nested quotes theirs), a preformatted block its
// ``` lines (the tag after the opening one included), a span its two
// directives. Whatever is not styling by the XEP's rules stays as typed:
// unbalanced or misplaced directives, an opening ``` line with nothing
// after it. Invalid UTF-8 becomes U+FFFD. Spans are ordered by start, the
// outer first (of equal ones, blocks first).
func Parse(body string) (text string, spans []*pb.Span) {
	body, _ = validUTF8(body)
	if len(body) > math.MaxUint32 {
		return body, nil // offsets would not fit; no XMPP body is this big
	}
	p := &parser{}
	p.block(strings.Split(body, "\n"))
	slices.SortStableFunc(p.spans, func(a, b *pb.Span) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End), cmp.Compare(prio[a.Style], prio[b.Style]))
	})
	return p.out.String(), p.spans
}

type parser struct {
	out   strings.Builder
	spans []*pb.Span
}

func (p *parser) add(start int, style pb.Span_Style) {
	if end := p.out.Len(); end > start {
		p.spans = append(p.spans, &pb.Span{Start: uint32(start), End: uint32(end), Style: style})
	}
}

// block parses lines, the lines of one block (the body, or a quote's
// lines without their '>'), and writes them joined by newlines.
func (p *parser) block(lines []string) {
	for i := 0; i < len(lines); {
		if i > 0 {
			p.out.WriteByte('\n')
		}
		line := lines[i]
		switch {
		case strings.HasPrefix(line, ">"):
			// A quote runs while lines start with '>'; each loses it and
			// then one leading whitespace character.
			j := i
			for j < len(lines) && strings.HasPrefix(lines[j], ">") {
				j++
			}
			inner := make([]string, 0, j-i)
			for _, l := range lines[i:j] {
				l = l[1:]
				if l != "" && spaceAt(l, 0) {
					_, w := utf8.DecodeRuneInString(l)
					l = l[w:]
				}
				inner = append(inner, l)
			}
			start := p.out.Len()
			p.block(inner)
			p.add(start, pb.Span_STYLE_QUOTE)
			i = j
		case strings.HasPrefix(line, "```") && i+1 < len(lines) && lines[i+1] != "```":
			// Up to a line of only ``` or the end of the block. With no
			// line inside (the next is the end), it is plain text.
			j := i + 1
			for j < len(lines) && lines[j] != "```" {
				j++
			}
			start := p.out.Len()
			p.out.WriteString(strings.Join(lines[i+1:j], "\n"))
			p.add(start, pb.Span_STYLE_PRE)
			i = min(j+1, len(lines)) // past the closing line, if any
		default:
			p.inline(line)
			i++
		}
	}
}

// directives are the span styling directives and their styles.
var directives = [256]pb.Span_Style{'*': pb.Span_STYLE_BOLD, '_': pb.Span_STYLE_ITALIC, '~': pb.Span_STYLE_STRIKE, '`': pb.Span_STYLE_CODE}

func isDirective(c byte) bool { return c == '*' || c == '_' || c == '~' || c == '`' }

// inline writes s, one line or the inside of a span, without the
// directives of the spans in it; the start of s counts as the beginning
// of a line, so spans may open right after their parent's directive.
func (p *parser) inline(s string) {
	plain := 0 // start of the text not written yet
	for i := 0; i < len(s); {
		if c := s[i]; isDirective(c) && (i == 0 || spaceBefore(s, i)) {
			if j := closing(s, i); j > 0 {
				p.out.WriteString(s[plain:i])
				start := p.out.Len()
				if c == '`' { // a preformatted span holds plain text only
					p.out.WriteString(s[i+1 : j])
				} else {
					p.inline(s[i+1 : j])
				}
				p.add(start, directives[c])
				i, plain = j+1, j+1
				continue
			}
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	p.out.WriteString(s[plain:])
}

// closing returns where the span opened by the directive at s[i] closes:
// the first same directive after some text that is not whitespace-preceded
// (lazy matching); -1 when none does, or when whitespace follows the
// opening. Directives are ASCII, so a byte scan finds only real ones.
func closing(s string, i int) int {
	c := s[i]
	if i+1 >= len(s) || spaceAt(s, i+1) {
		return -1
	}
	for j := i + 2; j < len(s); j++ {
		if s[j] == c && !spaceBefore(s, j) && hasText(s[i+1:j], c) {
			return j
		}
	}
	return -1
}

// hasText reports whether s holds something besides the directive c: "**"
// and "****" style nothing.
func hasText(s string, c byte) bool {
	for k := 0; k < len(s); k++ {
		if s[k] != c {
			return true
		}
	}
	return false
}
