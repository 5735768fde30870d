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
	if cut, ok := cutUTF8(s); ok {
		return cut
	}
	d, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return d
}

// cutMark is what ngircd writes after a text it cut to its limit.
const cutMark = "[CUT]"

// cutUTF8 reads s as a UTF-8 line a server cut to its limit (TOPICLEN,
// KICKLEN, a relayed line's 512 bytes) inside its last character, maybe
// with its mark after the cut (ngircd's cutMark): valid UTF-8 with a
// character beyond ASCII (so no Latin-1 line, whose "café" also ends in
// a lone lead byte), then the start of one character. It is s without
// that broken character, and ok. Other lines that are not UTF-8 are
// Windows-1252 (a stray byte may be a Latin-1 letter).
func cutUTF8(s string) (string, bool) {
	body, mark := s, ""
	if b, ok := strings.CutSuffix(s, cutMark); ok {
		body, mark = b, cutMark
	}
	i := len(body) - 1
	for i > 0 && len(body)-i < utf8.UTFMax && !utf8.RuneStart(body[i]) {
		i--
	}
	if i < 0 {
		return "", false
	}
	head, tail := body[:i], body[i:]
	if tail[0] < 0xc2 || tail[0] > 0xf4 || utf8.FullRuneInString(tail) || !utf8.ValidString(head) {
		return "", false
	}
	if strings.IndexFunc(head, func(r rune) bool { return r >= utf8.RuneSelf }) < 0 {
		return "", false
	}
	return head + mark, true
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

// fitLine cuts the last parameter of a command's line (its free text: a
// kick's reason, a topic) so that the line fits IRC's 512 bytes in the
// login's server encoding (e: a KOI8-R letter takes one byte, not
// UTF-8's two): irc-go refuses to send a longer one. The cut is between
// characters; the server cuts further to its own limits (KICKLEN,
// TOPICLEN). line is the command and its parameters.
func (e codec) fitLine(line []string) []string {
	if len(line) < 2 {
		return line
	}
	n := len(":\r\n") + len(line) - 1 // the spaces, the last's colon
	for _, p := range line {
		n += e.size(p)
	}
	over := n - 512
	if over <= 0 {
		return line
	}
	last := line[len(line)-1]
	out := slices.Clone(line)
	out[len(out)-1] = last[:e.fit(last, max(e.size(last)-over, 0))]
	return out
}
