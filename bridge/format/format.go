// Package format converts message text between contract v2's formatted
// text (a string and its Spans: UTF-8 byte offsets, end excluded) and the
// body of an XMPP message styled with XEP-0393 (Message Styling).
//
// Render turns a network message into a body that reads well both in a
// client that styles it (*bold*, _italic_, ~strike~, `code`, ``` blocks,
// "> " quotes) and in one that shows it as plain text: a link whose text
// is not its URL reads "text (url)", a mention keeps its text. It also
// returns where the mentions are, counted as XEP-0372 (References) counts,
// for the bridge to add <reference type='mention'/> elements.
//
// Parse reads what an XMPP user typed the way a XEP-0393 client shows it
// and returns the text without the styling directives and the spans they
// meant, for the network.
//
// Neither function fails: spans out of range, crossing or on no character
// boundary are clamped or dropped, invalid UTF-8 becomes U+FFFD, and when
// the markup would be read otherwise than meant, the text stays plain.
package format

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Range is a part of a rendered body in Unicode code points, as XEP-0372
// counts them: Begin is the index of the first code point (from 0), End
// one past the last.
type Range struct {
	Begin, End int
}

// Mention is where a mention of a network user lies in a rendered body;
// the bridge turns UserID into the JID of the reference.
type Mention struct {
	Range
	UserID string
}

// Rendered is a message rendered for XMPP.
type Rendered struct {
	// Body is the text with XEP-0393 styling directives, readable as plain
	// text.
	Body string
	// Mentions are the mentions in Body, in order, for XEP-0372.
	Mentions []Mention
	// Spoilers are the parts the network hides until clicked. XEP-0393 has
	// no way to hide text: they are shown; the bridge may mark a message
	// whose whole body is one as a spoiler (XEP-0382).
	Spoilers []Range
	// Styled tells whether Body has any styling directive that Render put
	// there.
	Styled bool
}

// isSpace is XEP-0393's whitespace: the Unicode White_Space property or
// category Z.
func isSpace(r rune) bool {
	return unicode.Is(unicode.White_Space, r) || unicode.In(r, unicode.Z)
}

// spaceBefore reports whether the rune before byte i of s is whitespace.
func spaceBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isSpace(r)
}

// spaceAt reports whether the rune at byte i of s is whitespace.
func spaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isSpace(r)
}

// validUTF8 returns s with each invalid byte replaced by U+FFFD and, when
// it changed anything, where each byte offset of s (and len(s)) went.
func validUTF8(s string) (string, []int) {
	if utf8.ValidString(s) {
		return s, nil
	}
	var b strings.Builder
	at := make([]int, len(s)+1)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		for k := range w {
			at[i+k] = b.Len()
		}
		if r == utf8.RuneError && w == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	at[len(s)] = b.Len()
	return b.String(), at
}
