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
	if !strings.ContainsAny(body, "*_~`>") { // most messages
		return body, nil
	}
	if len(body) > math.MaxUint32 {
		return body, nil // offsets would not fit; no XMPP body is this big
	}
	p := &parser{}
	p.block(strings.Split(body, "\n"))
	sortSpans(p.spans)
	return p.out.String(), p.spans
}

// sortSpans orders spans by start, the outer first (of equal ones, blocks
// first), as Parse returns them.
func sortSpans(spans []*pb.Span) {
	slices.SortStableFunc(spans, func(a, b *pb.Span) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End), cmp.Compare(prio[a.Style], prio[b.Style]))
	})
}

type parser struct {
	out   strings.Builder
	spans []*pb.Span
}

func (p *parser) add(start int, style pb.Span_Style) {
	end := p.out.Len()
	if isBlock(style) { // a block's line breaks at its edges are not its text
		out := p.out.String()
		for end > start && out[end-1] == '\n' {
			end--
		}
		for start < end && out[start] == '\n' {
			start++
		}
	}
	if end > start {
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
	var next closings
	plain := 0 // start of the text not written yet
	for i := 0; i < len(s); {
		if c := s[i]; isDirective(c) && (i == 0 || spaceBefore(s, i)) {
			if j := next.find(s, i); j > 0 {
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

// closings finds where spans close in one string; it indexes the string
// on first use, so a long line of openings costs linear time, not
// quadratic.
type closings struct {
	// next[d][k] is the first valid closing of directive d at or after
	// byte k, len(s) for none.
	next [4][]int32
}

var dirIndex = [256]int8{'*': 1, '_': 2, '~': 3, '`': 4} // 1 + index in next

// find returns where the span opened by the directive at s[i] closes: the
// first same directive that is not whitespace-preceded and has something
// besides that directive between (lazy matching; "**" and "****" style
// nothing); -1 when none does, or when whitespace follows the opening.
// Directives are ASCII, so bytes find only real ones.
func (n *closings) find(s string, i int) int {
	c := s[i]
	if i+1 >= len(s) || spaceAt(s, i+1) {
		return -1
	}
	d := dirIndex[c] - 1
	if n.next[d] == nil {
		nx := make([]int32, len(s)+1)
		nx[len(s)] = int32(len(s))
		for k := len(s) - 1; k >= 0; k-- {
			nx[k] = nx[k+1]
			if s[k] == c && k > 0 && !spaceBefore(s, k) {
				nx[k] = int32(k)
			}
		}
		n.next[d] = nx
	}
	// The text between must hold something besides c: skip the run of c
	// right after the opening. Such a run follows only one opening (its
	// own first byte cannot open), so the skipping stays linear.
	r := i + 1
	for r < len(s) && s[r] == c {
		r++
	}
	if r == len(s) {
		return -1
	}
	if j := int(n.next[d][max(i+2, r+1)]); j < len(s) {
		return j
	}
	return -1
}
