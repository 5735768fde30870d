package format

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

// renderer writes the body, line by line.
type renderer struct {
	text string
	out  []byte
	// lineStart is where the current line's text starts in out (after its
	// quote prefix); openEnd is the end of the last opening directive
	// written: a directive right after either may open a span.
	lineStart, openEnd int
	styled             bool
	// Where mentions and spoilers started in out, and the finished ones
	// in bytes of out.
	starts   map[*item]int
	mentions []Mention
	spoilers []Range
	// count[d][k] is how many directive d bytes text[:k] holds.
	count [4][]int32
}

// piece is the part of an inline item on one line.
type piece struct {
	it   *item
	s, e int
	kids []*piece
	// adds is the directives (as 1<<dirIndex) in what the piece and
	// those inside it write besides the text: URLs and mention names.
	adds uint8
}

func (r *renderer) render(items []*item) {
	r.starts = map[*item]int{}
	for d := range r.count {
		r.count[d] = make([]int32, len(r.text)+1)
	}
	for k := 0; k < len(r.text); k++ {
		for d := range r.count {
			r.count[d][k+1] = r.count[d][k]
		}
		if x := dirIndex[r.text[k]]; x > 0 {
			r.count[x-1][k+1]++
		}
	}
	// Line starts, then which lines each block covers.
	starts := []int{0}
	for i := 0; i < len(r.text); i++ {
		if r.text[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	line := func(p int) int { return sort.SearchInts(starts, p+1) - 1 }
	depth := make([]int, len(starts))
	pre := make([]*item, len(starts))
	var inline []*item
	for _, it := range items {
		if !isBlock(it.style) {
			inline = append(inline, it)
			continue
		}
		first, last := line(it.start), line(it.end-1)
		if pre[first] != nil {
			continue // a pre block holds no blocks
		}
		if it.style == pb.Span_STYLE_QUOTE {
			if depth[first] >= MaxQuoteDepth {
				continue
			}
			for l := first; l <= last; l++ {
				depth[l]++
			}
			continue
		}
		fence := false // a line of only ``` would end the block early
		for l := first; l <= last; l++ {
			fence = fence || r.lineText(starts, l) == "```"
		}
		if fence {
			continue
		}
		for l := first; l <= last; l++ {
			pre[l] = it
		}
	}

	next := 0 // inline items are sorted by start
	var active []*item
	for l := range starts {
		ls := starts[l]
		le := ls + len(r.lineText(starts, l))
		if l > 0 {
			r.out = append(r.out, '\n')
		}
		prefix := strings.Repeat("> ", depth[l])
		r.styled = r.styled || depth[l] > 0
		p := pre[l]
		if p != nil && line(p.start) == l {
			r.out = append(r.out, prefix...)
			r.out = append(r.out, "```\n"...)
			r.styled = true
		}
		r.out = append(r.out, prefix...)
		r.lineStart, r.openEnd = len(r.out), -1
		// The items on this line: those started before its end and not
		// ended before its start.
		for next < len(inline) && inline[next].start < le {
			active = append(active, inline[next])
			next++
		}
		active = slices.DeleteFunc(active, func(it *item) bool { return it.end <= ls })
		r.emit(r.pieces(active, ls, le, p != nil), ls, le, ctx{literal: p != nil})
		if p != nil && line(p.end-1) == l {
			r.out = append(r.out, '\n')
			r.out = append(r.out, prefix...)
			r.out = append(r.out, "```"...)
		}
	}
}

// lineText is line l of the text, without its line break.
func (r *renderer) lineText(starts []int, l int) string {
	end := len(r.text)
	if l+1 < len(starts) {
		end = starts[l+1] - 1
	}
	return r.text[starts[l]:end]
}

// pieces cuts the active items to the line [ls, le) and nests them. The
// directive styles lose the whitespace at their edges (a directive must
// touch its text); in a pre block (literal) they are dropped.
func (r *renderer) pieces(active []*item, ls, le int, literal bool) []*piece {
	var ps []*piece
	var through [5]bool // a span of that directive runs through the line
	for _, it := range active {
		s, e := max(it.start, ls), min(it.end, le)
		if it.start < ls && it.end > le {
			// A span that neither starts nor ends here writes nothing here
			// but its directives, and inside the outermost of one
			// directive the others would not: leave them out, so that
			// many spans over many lines cost no more than their lines.
			x := dirIndex[directiveOf(it.style)]
			if x == 0 || literal || through[x] {
				continue
			}
			through[x] = true
		}
		if directiveOf(it.style) != 0 {
			if literal {
				continue
			}
			for s < e && spaceAt(r.text, s) {
				_, w := utf8.DecodeRuneInString(r.text[s:])
				s += w
			}
			for s < e && spaceBefore(r.text, e) {
				_, w := utf8.DecodeLastRuneInString(r.text[:e])
				e -= w
			}
		}
		if s < e {
			ps = append(ps, &piece{it: it, s: s, e: e})
		}
	}
	slices.SortStableFunc(ps, func(a, b *piece) int {
		return cmp.Or(cmp.Compare(a.s, b.s), cmp.Compare(b.e, a.e), cmp.Compare(a.it.prio, b.it.prio))
	})
	var top, kept []*piece
	var stack []*piece
	parent := map[*piece]*piece{}
	for _, p := range ps {
		for len(stack) > 0 && stack[len(stack)-1].e <= p.s {
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 {
			if p.e > stack[n-1].e {
				continue // cannot happen with items that do not cross; plain if it does
			}
			stack[n-1].kids = append(stack[n-1].kids, p)
			parent[p] = stack[n-1]
		} else {
			top = append(top, p)
		}
		stack = append(stack, p)
		kept = append(kept, p)
	}
	// What each piece adds, inner ones first (they come later).
	for i := len(kept) - 1; i >= 0; i-- {
		p := kept[i]
		if p.e == p.it.end && p.it.style == pb.Span_STYLE_LINK {
			p.adds |= directivesIn(p.it.url)
		}
		if p.s == p.it.start && p.e == p.it.end {
			p.adds |= directivesIn(p.it.name)
		}
		if up := parent[p]; up != nil {
			up.adds |= p.adds
		}
	}
	return top
}

// directivesIn is the set of directives in s, as 1<<dirIndex.
func directivesIn(s string) uint8 {
	var m uint8
	for k := 0; k < len(s); k++ {
		m |= 1 << dirIndex[s[k]]
	}
	return m &^ 1 // index 0 is no directive
}

// ctx is what the pieces around a piece decided.
type ctx struct {
	literal bool   // in a pre block: no directives
	code    bool   // in inline code: no directives
	open    string // the directives of the enclosing pieces
}

// emit writes text[from:to] with the pieces ps in it.
func (r *renderer) emit(ps []*piece, from, to int, c ctx) {
	cur := from
	for _, p := range ps {
		r.write(cur, p.s)
		r.piece(p, c)
		cur = p.e
	}
	r.write(cur, to)
}

func (r *renderer) write(from, to int) {
	if from < to {
		r.out = append(r.out, r.text[from:to]...)
	}
}

func (r *renderer) piece(p *piece, c ctx) {
	it := p.it
	d := directiveOf(it.style)
	if d != 0 && (c.literal || c.code || strings.IndexByte(c.open, d) >= 0 || !r.canOpen() || r.holds(p, d)) {
		d = 0 // plain text when a client would read the directive otherwise
	}
	first, last := p.s == it.start, p.e == it.end
	if d != 0 {
		r.out = append(r.out, d)
		r.openEnd, r.styled = len(r.out), true
		c.open += string(d)
		c.code = c.code || d == '`'
	}
	if first && (it.style == pb.Span_STYLE_MENTION || it.style == pb.Span_STYLE_SPOILER) {
		r.starts[it] = len(r.out)
	}
	if it.name != "" && first && last {
		r.out = append(r.out, it.name...)
	} else {
		r.emit(p.kids, p.s, p.e, c)
	}
	if d != 0 {
		r.out = append(r.out, d)
	}
	if !last {
		return
	}
	switch it.style {
	case pb.Span_STYLE_LINK:
		if it.url != "" {
			r.out = append(r.out, " ("...)
			r.out = append(r.out, it.url...)
			r.out = append(r.out, ')')
		}
	case pb.Span_STYLE_MENTION, pb.Span_STYLE_SPOILER:
		if b, ok := r.starts[it]; ok && b < len(r.out) {
			rg := Range{b, len(r.out)}
			if it.style == pb.Span_STYLE_MENTION {
				r.mentions = append(r.mentions, Mention{Range: rg, UserID: it.user})
			} else {
				r.spoilers = append(r.spoilers, rg)
			}
		}
	}
}

// canOpen reports whether a directive written now may open a span: at
// the start of a line, after whitespace, or right after the opening
// directive of an enclosing span.
func (r *renderer) canOpen() bool {
	n := len(r.out)
	if n == r.lineStart || n == r.openEnd {
		return true
	}
	c, _ := utf8.DecodeLastRune(r.out)
	return isSpace(c)
}

// holds reports whether what p will write holds the directive d, which
// would close the span early: in its text, in a link's URL shown in it,
// or in a mention's name.
func (r *renderer) holds(p *piece, d byte) bool {
	x := dirIndex[d]
	return r.count[x-1][p.e] > r.count[x-1][p.s] || p.adds&(1<<x) != 0
}

// result converts the byte ranges to code points.
func (r *renderer) result() Rendered {
	body := string(r.out)
	var offs []int
	for _, m := range r.mentions {
		offs = append(offs, m.Begin, m.End)
	}
	for _, s := range r.spoilers {
		offs = append(offs, s.Begin, s.End)
	}
	slices.Sort(offs)
	offs = slices.Compact(offs)
	cp := make(map[int]int, len(offs))
	n, prev := 0, 0
	for _, o := range offs {
		n += utf8.RuneCountInString(body[prev:o])
		cp[o], prev = n, o
	}
	res := Rendered{Body: body, Styled: r.styled}
	for _, m := range r.mentions {
		res.Mentions = append(res.Mentions, Mention{Range: Range{cp[m.Begin], cp[m.End]}, UserID: m.UserID})
	}
	for _, s := range r.spoilers {
		res.Spoilers = append(res.Spoilers, Range{cp[s.Begin], cp[s.End]})
	}
	byBegin := func(a, b Range) int { return cmp.Or(cmp.Compare(a.Begin, b.Begin), cmp.Compare(b.End, a.End)) }
	slices.SortStableFunc(res.Mentions, func(a, b Mention) int { return byBegin(a.Range, b.Range) })
	slices.SortStableFunc(res.Spoilers, byBegin)
	return res
}
