package format

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Limits on hostile input: more spans than MaxSpans are ignored (the text
// stays), and quotes nested deeper than MaxQuoteDepth are not marked.
const (
	MaxSpans      = 4096
	MaxQuoteDepth = 16
)

// item is one span of the text being rendered, checked and clamped.
type item struct {
	start, end int
	style      pb.Span_Style
	url        string // link: shown after the text when it differs
	user       string // mention
	name       string // mention: what replaces a raw user ID as its text
	prio       int    // order of spans over the same range, outer first
}

// prio orders spans of the same range: blocks outermost, a link outside
// the styles of its text (so "*text* (url)"), a mention innermost (so its
// reference covers its text, not the directives around it).
var prio = map[pb.Span_Style]int{
	pb.Span_STYLE_QUOTE: 0, pb.Span_STYLE_PRE: 1, pb.Span_STYLE_LINK: 2, pb.Span_STYLE_SPOILER: 3,
	pb.Span_STYLE_BOLD: 4, pb.Span_STYLE_ITALIC: 5, pb.Span_STYLE_STRIKE: 6, pb.Span_STYLE_CODE: 7,
	pb.Span_STYLE_MENTION: 8,
}

// directiveOf is the XEP-0393 directive of an inline style, 0 for none.
func directiveOf(s pb.Span_Style) byte {
	switch s {
	case pb.Span_STYLE_BOLD:
		return '*'
	case pb.Span_STYLE_ITALIC:
		return '_'
	case pb.Span_STYLE_STRIKE:
		return '~'
	case pb.Span_STYLE_CODE:
		return '`'
	}
	return 0
}

func isBlock(s pb.Span_Style) bool { return s == pb.Span_STYLE_QUOTE || s == pb.Span_STYLE_PRE }

// Render renders text and its spans as an XMPP body (see the package
// comment). names, if not nil, gives the display name of a network user:
// a mention whose text is the raw user ID (with or without a leading '@')
// reads "@name" instead; every other mention keeps its text.
//
// Spans past the end are clamped to it, offsets inside a character moved
// to its edges, and spans that are empty, of an unknown style, a link
// without a usable URL, a mention without a user or on blank text, or
// that cross an earlier one (by start, the outer first) are ignored;
// their text stays.
func Render(text string, spans []*pb.Span, names func(userID string) string) Rendered {
	orig := len(text)
	text, at := validUTF8(text)
	if len(spans) == 0 { // most messages
		return Rendered{Body: text}
	}
	items := clean(text, orig, at, spans)
	text, items = blockLines(text, items)
	r := &renderer{text: text}
	for _, it := range items {
		if it.style == pb.Span_STYLE_MENTION && names != nil {
			it.name = mentionName(text[it.start:it.end], it.user, names)
		}
	}
	r.render(items)
	return r.result()
}

// clean checks, clamps and orders the spans, outer first, and drops those
// that cross one kept before them.
func clean(text string, orig int, at []int, spans []*pb.Span) []*item {
	if len(spans) > MaxSpans {
		spans = spans[:MaxSpans]
	}
	items := make([]*item, 0, len(spans))
	for _, sp := range spans {
		p, ok := prio[sp.GetStyle()]
		if sp == nil || !ok {
			continue
		}
		s, e := min(int64(sp.GetStart()), int64(orig)), min(int64(sp.GetEnd()), int64(orig))
		start, end := int(s), int(e)
		if at != nil {
			start, end = at[start], at[end]
		}
		for start > 0 && start < len(text) && !utf8.RuneStart(text[start]) {
			start--
		}
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end++
		}
		if start >= end {
			continue
		}
		it := &item{start: start, end: end, style: sp.GetStyle(), prio: p}
		switch it.style {
		case pb.Span_STYLE_LINK:
			if !usableURL(sp.GetUrl()) {
				continue
			}
			if sameLink(text[start:end], sp.GetUrl()) {
				it.url = "" // the text says it all
			} else {
				it.url = sp.GetUrl()
			}
		case pb.Span_STYLE_MENTION:
			if it.user = sp.GetUserId(); it.user == "" || !utf8.ValidString(it.user) || strings.TrimFunc(text[start:end], isSpace) == "" {
				continue // no one, or nothing to click on
			}
		}
		items = append(items, it)
	}
	sortItems(items)
	kept := items[:0]
	var stack []*item
	for _, it := range items {
		for len(stack) > 0 && stack[len(stack)-1].end <= it.start {
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 {
			top := stack[n-1]
			if it.end > top.end || (it.start == top.start && it.end == top.end && it.style == top.style && it.style != pb.Span_STYLE_QUOTE) {
				continue // crosses its parent, or repeats it (a quote in a quote is one level deeper)
			}
		}
		stack = append(stack, it)
		kept = append(kept, it)
	}
	return kept
}

func sortItems(items []*item) {
	slices.SortStableFunc(items, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end), cmp.Compare(a.prio, b.prio))
	})
}

// usableURL: a URL is shown in the body, so it must keep to one line.
func usableURL(u string) bool {
	if u == "" || !utf8.ValidString(u) {
		return false
	}
	for _, r := range u {
		if isSpace(r) || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// sameLink reports whether a link's text already shows its URL ("a.org"
// for "https://a.org/").
func sameLink(text, url string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		for _, p := range [...]string{"https://", "http://", "mailto:"} {
			if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
				s = s[len(p):]
				break
			}
		}
		return strings.TrimSuffix(s, "/")
	}
	return norm(text) == norm(url)
}

// mentionName returns "@name" for a mention whose text is the raw user
// ID, "" to keep its text.
func mentionName(text, user string, names func(string) string) string {
	if strings.TrimPrefix(text, "@") != user {
		return ""
	}
	n, _ := validUTF8(names(user))
	n = strings.Join(strings.Fields(n), " ") // one line, no edge spaces
	if n == "" {
		return ""
	}
	if !strings.HasPrefix(n, "@") {
		n = "@" + n
	}
	return n
}

// blockLines makes every quote and preformatted block cover whole lines:
// where one starts or ends inside a line, the space there becomes a line
// break, or one is inserted when there is no space. A preformatted span
// inside one line that is not the whole line becomes inline code instead.
// It returns the new text and the items moved.
func blockLines(text string, items []*item) (string, []*item) {
	var cuts []int   // where a line break is inserted
	var spaces []int // spaces that become line breaks
	kept := items[:0]
	for _, it := range items {
		if isBlock(it.style) {
			for it.start < it.end && text[it.end-1] == '\n' {
				it.end--
			}
			for it.start < it.end && text[it.start] == '\n' {
				it.start++
			}
			if it.start == it.end {
				continue
			}
			atStart := it.start == 0 || text[it.start-1] == '\n'
			atEnd := it.end == len(text) || text[it.end] == '\n'
			if it.style == pb.Span_STYLE_PRE && !(atStart && atEnd) && !strings.Contains(text[it.start:it.end], "\n") {
				it.style, it.prio = pb.Span_STYLE_CODE, prio[pb.Span_STYLE_CODE]
			} else {
				switch {
				case atStart:
				case text[it.start-1] == ' ':
					spaces = append(spaces, it.start-1)
				default:
					cuts = append(cuts, it.start)
				}
				switch {
				case atEnd:
				case text[it.end] == ' ':
					spaces = append(spaces, it.end)
				default:
					cuts = append(cuts, it.end)
				}
			}
		}
		kept = append(kept, it)
	}
	items = kept
	if len(spaces) > 0 {
		b := []byte(text)
		for _, p := range spaces {
			b[p] = '\n'
		}
		text = string(b)
	}
	if len(cuts) > 0 {
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		var b strings.Builder
		prev := 0
		for _, c := range cuts {
			b.WriteString(text[prev:c])
			b.WriteByte('\n')
			prev = c
		}
		b.WriteString(text[prev:])
		text = b.String()
		// A span starting at a cut starts after the new line break; one
		// ending there ends before it.
		before := func(p int) int { return sort.SearchInts(cuts, p) }
		for _, it := range items {
			s := before(it.start)
			if s < len(cuts) && cuts[s] == it.start {
				s++
			}
			it.start += s
			it.end += before(it.end)
		}
	}
	sortItems(items) // pre turned code changed the order of equal ranges
	return text, items
}
