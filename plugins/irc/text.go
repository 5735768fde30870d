package irc

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	pb "passerelle.im/passerelle/plugins/proto"
)

// IRC text, as clients write it: bytes in no declared charset, with
// mIRC's formatting codes in the line.

// decodeText is a line's text as UTF-8. IRC has no charset: most clients
// send UTF-8, older ones their locale's, and a line that is not UTF-8 is
// read as Windows-1252 (Latin-1 and its punctuation), as most IRC clients
// and biboumi do. Passed on as it is, such a line cannot go over the
// plugin link at all (protobuf strings are UTF-8).
func decodeText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	d, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return d
}

// plainText is a line's text as UTF-8 with no formatting: for topics
// and reasons, which have no spans.
func plainText(s string) string {
	text, _ := formatted(decodeText(s))
	return text
}

// mIRC's formatting codes.
const (
	codeBold      = '\x02'
	codeColour    = '\x03'
	codeHexColour = '\x04'
	codeMono      = '\x11'
	codeReverse   = '\x16'
	codeItalic    = '\x1d'
	codeStrike    = '\x1e'
	codeUnderline = '\x1f'
	codeReset     = '\x0f'
)

// styleOf is the span style a toggle code stands for; ok is false for
// codes with no style of their own (underline and reverse video, which
// XEP-0393 cannot say, are dropped).
func styleOf(c byte) (pb.Span_Style, bool) {
	switch c {
	case codeBold:
		return pb.Span_STYLE_BOLD, true
	case codeItalic:
		return pb.Span_STYLE_ITALIC, true
	case codeStrike:
		return pb.Span_STYLE_STRIKE, true
	case codeMono:
		return pb.Span_STYLE_CODE, true
	}
	return 0, false
}

// formatted is an IRC line as text and spans: bold, italic, strike and
// monospace become spans; colours, underline and reverse video are
// dropped, and so is every other control character but tab. Codes toggle
// and may cross ("\x02a\x1db\x02c\x1d"); spans may not, so a style closed
// under another closes that one too and opens it again after.
func formatted(line string) (string, []*pb.Span) {
	if strings.IndexFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' }) < 0 {
		return line, nil
	}
	var (
		b     strings.Builder
		spans []*pb.Span
		open  []openStyle // innermost last
	)
	closeSpan := func(o openStyle) {
		if end := uint32(b.Len()); end > o.start {
			spans = append(spans, &pb.Span{Start: o.start, End: end, Style: o.style})
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c >= 0x20 || c == '\t' {
			b.WriteByte(c)
			continue
		}
		if style, ok := styleOf(c); ok {
			at := -1
			for j, o := range open {
				if o.style == style {
					at = j
				}
			}
			if at < 0 {
				open = append(open, openStyle{style, uint32(b.Len())})
				continue
			}
			for j := len(open) - 1; j >= at; j-- {
				closeSpan(open[j])
			}
			inner := open[at+1:]
			open = open[:at]
			for _, o := range inner {
				open = append(open, openStyle{o.style, uint32(b.Len())})
			}
			continue
		}
		switch c {
		case codeReset:
			for j := len(open) - 1; j >= 0; j-- {
				closeSpan(open[j])
			}
			open = open[:0]
		case codeColour:
			i += colourLen(line[i+1:], isDigit, 2)
		case codeHexColour:
			i += colourLen(line[i+1:], isHex, 6)
		}
	}
	for j := len(open) - 1; j >= 0; j-- {
		closeSpan(open[j])
	}
	// Inner spans were closed first; outer first reads better.
	slices.Reverse(spans)
	slices.SortStableFunc(spans, func(a, b *pb.Span) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End))
	})
	return b.String(), spans
}

type openStyle struct {
	style pb.Span_Style
	start uint32
}

// colourLen is how many bytes of a colour code's argument follow it:
// a foreground of up to width digits, then optionally a comma and a
// background of as many (a comma with no digits after it is text).
func colourLen(s string, digit func(byte) bool, width int) int {
	n := 0
	for n < len(s) && n < width && digit(s[n]) {
		n++
	}
	if n == 0 || n >= len(s) || s[n] != ',' {
		return n
	}
	m := 0
	for n+1+m < len(s) && m < width && digit(s[n+1+m]) {
		m++
	}
	if m == 0 {
		return n
	}
	return n + 1 + m
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
