package irc

import (
	"cmp"
	"slices"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's formatted text (the contract's spans: the gateway reads
// XEP-0393's directives into them, Features.formatting) as IRC lines:
// mIRC's codes where the channel takes them, else the directives as
// the user typed them. text.go reads the other way.

// ircText is text with its spans as IRC writes it. With codes, bold,
// italic, strike and monospace (a preformatted block's lines too) are
// mIRC's toggles, opened again on each line, since a code holds to the
// end of its IRC line only; without, they are XEP-0393's directives
// again ("*bold*", a block between "```" lines), as the user typed
// them. A quote's lines start with "> " (one ">" a level) and a link
// whose words are not its address has it after them, in brackets,
// either way. Mentions are their words. Spans out of the text's bounds
// or not on its characters are left out (the text is kept whole).
func ircText(text string, spans []*pb.Span, codes bool) string {
	var valid []*pb.Span
	for _, sp := range spans {
		if sp.Start < sp.End && int(sp.End) <= len(text) && onRune(text, int(sp.Start)) && onRune(text, int(sp.End)) {
			valid = append(valid, sp)
		}
	}
	if len(valid) == 0 {
		return text
	}
	var b strings.Builder
	ls := 0
	for i, line := range strings.Split(text, "\n") {
		le := ls + len(line)
		if i > 0 {
			b.WriteByte('\n')
		}
		writeLine(&b, text, ls, le, valid, codes)
		ls = le + 1
	}
	return b.String()
}

// onRune reports whether i is a character's start in s, or its end.
func onRune(s string, i int) bool {
	return i == len(s) || (i < len(s) && (s[i] < 0x80 || s[i] >= 0xc0))
}

// insert is text written at a byte offset of a line: a style's opening
// or closing, a link's address.
type insert struct {
	at    int
	close bool
	// start and end are the span's, to nest them: at one offset,
	// closings come first, the inner first, then openings, the outer
	// first; of equal spans, the one given first is the outer.
	start, end uint32
	n          int
	s          string
}

// writeLine writes text's line [ls, le) with the spans over it.
func writeLine(b *strings.Builder, text string, ls, le int, spans []*pb.Span, codes bool) {
	var ins []insert
	quotes := 0
	for n, sp := range spans {
		a, z := max(int(sp.Start), ls), min(int(sp.End), le)
		switch sp.Style {
		case pb.Span_STYLE_QUOTE:
			if int(sp.Start) <= ls && ls < int(sp.End) {
				quotes++
			}
			continue
		case pb.Span_STYLE_PRE:
			if codes {
				break // monospace lines, below
			}
			if int(sp.Start) >= ls && int(sp.Start) <= le {
				b.WriteString("```\n")
			}
			if int(sp.End) >= ls && int(sp.End) <= le {
				defer b.WriteString("\n```")
			}
			continue
		case pb.Span_STYLE_LINK:
			if z == int(sp.End) && sp.Url != "" && sp.Url != text[sp.Start:sp.End] {
				ins = append(ins, insert{at: z, close: true, start: sp.Start, end: sp.End, n: n, s: " (" + sp.Url + ")"})
			}
			continue
		}
		d, ok := styleMark(sp.Style, codes)
		if !ok || a >= z {
			continue
		}
		ins = append(ins, insert{at: a, start: sp.Start, end: sp.End, n: n, s: d}, insert{at: z, close: true, start: sp.Start, end: sp.End, n: n, s: d})
	}
	if quotes > 0 {
		b.WriteString(strings.Repeat(">", quotes) + " ")
	}
	slices.SortStableFunc(ins, func(x, y insert) int {
		if c := cmp.Compare(x.at, y.at); c != 0 {
			return c
		}
		if x.close != y.close {
			if x.close {
				return -1
			}
			return 1
		}
		if x.close { // the inner (later start, earlier end) first
			return cmp.Or(cmp.Compare(y.start, x.start), cmp.Compare(x.end, y.end), cmp.Compare(y.n, x.n))
		}
		return cmp.Or(cmp.Compare(x.start, y.start), cmp.Compare(y.end, x.end), cmp.Compare(x.n, y.n))
	})
	at := ls
	for _, in := range ins {
		b.WriteString(text[at:in.at])
		b.WriteString(in.s)
		at = in.at
	}
	b.WriteString(text[at:le])
}

// styleMark is what opens and closes an inline style: mIRC's code, or
// XEP-0393's directive; ok is false for a style with none (a mention).
// A preformatted block with codes is monospace.
func styleMark(style pb.Span_Style, codes bool) (string, bool) {
	switch style {
	case pb.Span_STYLE_BOLD:
		return pick(codes, string(rune(codeBold)), "*"), true
	case pb.Span_STYLE_ITALIC:
		return pick(codes, string(rune(codeItalic)), "_"), true
	case pb.Span_STYLE_STRIKE:
		return pick(codes, string(rune(codeStrike)), "~"), true
	case pb.Span_STYLE_CODE:
		return pick(codes, string(rune(codeMono)), "`"), true
	case pb.Span_STYLE_PRE:
		return string(rune(codeMono)), codes
	}
	return "", false
}

func pick(codes bool, code, directive string) string {
	if codes {
		return code
	}
	return directive
}

// hasSpoiler reports whether spans hide some of the text: IRC has no
// way to (SendMessage refuses such a message, as the gateway does one
// to a network without formatting).
func hasSpoiler(spans []*pb.Span) bool {
	return slices.ContainsFunc(spans, func(sp *pb.Span) bool { return sp.Style == pb.Span_STYLE_SPOILER })
}

// codesAllowed reports whether a line to target may carry mIRC's
// formatting codes: not to a channel with mode +c, which servers that
// have it (UnrealIRCd, InspIRCd, Solanum, hybrid) use to refuse or
// strip them. The codes would be refused or dropped there; the user's
// directives, as typed, still say what they meant.
func (s *Session) codesAllowed(target string) bool {
	if !isChannel(target) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[s.chanID(target)]
	return ch == nil || !strings.ContainsRune(ch.flags, 'c')
}

// styleCodes are the toggles carryCodes carries over a cut: the styles
// ircText writes, and underline and reverse video a user typed.
const styleCodes = "\x02\x1d\x1e\x11\x1f\x16"

// carryCodes opens again, at the start of each of parts (one line cut
// to fit IRC's lines), the toggles still open at the end of the part
// before: a code holds to its IRC line's end only, and the rest of a
// bold sentence cut in two went plain. A colour is not carried (the
// plugin writes none).
func carryCodes(parts []string) []string {
	var open []byte
	for i, p := range parts {
		if i > 0 && len(open) > 0 {
			parts[i] = string(open) + p
		}
		for j := 0; j < len(p); j++ {
			switch c := p[j]; {
			case c == codeReset:
				open = open[:0]
			case strings.IndexByte(styleCodes, c) >= 0:
				if k := slices.Index(open, c); k >= 0 {
					open = slices.Delete(open, k, k+1)
				} else {
					open = append(open, c)
				}
			}
		}
	}
	return parts
}
