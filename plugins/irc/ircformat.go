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

// ircText is text with its spans as IRC writes it: XEP-0393's
// directives again, as the user typed them ("*bold*", a block between
// "```" lines), and with codes, bold, italic, strike and monospace are
// also mIRC's toggles around them ("^B*bold*^B"; a preformatted
// block's lines monospace, without their "```" lines), opened again on
// each line, since a code holds to the end of its IRC line only. A quote's lines start with "> " (one ">" a level) and a link
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
		open, end, ok := styleMarks(sp.Style, codes)
		if !ok || a >= z {
			continue
		}
		ins = append(ins, insert{at: a, start: sp.Start, end: sp.End, n: n, s: open}, insert{at: z, close: true, start: sp.Start, end: sp.End, n: n, s: end})
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

// styleMarks is what opens and closes an inline style: XEP-0393's
// directives, as the user typed them, inside mIRC's code with codes;
// ok is false for a style with none (a mention). The gateway read the
// directives out of what the user typed, and not all were meant as
// styling: "_bob_" is a nick, "*!*@host" a mask, "*_*" a face; without
// them "_bob_" went as an italic "bob". A preformatted block with
// codes is monospace, its ``` lines left out.
func styleMarks(style pb.Span_Style, codes bool) (open, end string, ok bool) {
	var d string
	var c byte
	switch style {
	case pb.Span_STYLE_BOLD:
		d, c = "*", codeBold
	case pb.Span_STYLE_ITALIC:
		d, c = "_", codeItalic
	case pb.Span_STYLE_STRIKE:
		d, c = "~", codeStrike
	case pb.Span_STYLE_CODE:
		d, c = "`", codeMono
	case pb.Span_STYLE_PRE:
		if !codes {
			return "", "", false
		}
		return string(rune(codeMono)), string(rune(codeMono)), true
	default:
		return "", "", false
	}
	if !codes {
		return d, d, true
	}
	return string(rune(c)) + d, d + string(rune(c)), true
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
