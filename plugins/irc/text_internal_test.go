package irc

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

func spanString(text string, spans []*pb.Span) string {
	var out []string
	for _, s := range spans {
		out = append(out, fmt.Sprintf("%s[%s]", strings.TrimPrefix(s.Style.String(), "STYLE_"), text[s.Start:s.End]))
	}
	return strings.Join(out, " ")
}

// TestFormatted: mIRC's codes become spans or go; none is left in the
// text, and spans never cross.
func TestFormatted(t *testing.T) {
	for _, c := range []struct{ in, text, spans string }{
		{"plain text", "plain text", ""},
		{"a \x02bold\x02 word", "a bold word", "BOLD[bold]"},
		{"\x1ditalic\x1d \x1estrike\x1e \x11mono\x11", "italic strike mono", "ITALIC[italic] STRIKE[strike] CODE[mono]"},
		{"unclosed \x02bold", "unclosed bold", "BOLD[bold]"},
		{"\x02\x1dboth\x0f after", "both after", "BOLD[both] ITALIC[both]"},
		// Crossing toggles: bold a b, italic b c; italic reopened after b.
		{"\x02a\x1db\x02c\x1d", "abc", "BOLD[ab] ITALIC[b] ITALIC[c]"},
		{"\x0304red\x03 \x0304,12on blue\x03 \x031,2x \x03,5", "red on blue x ,5", ""},
		{"\x03123", "3", ""},
		{"\x04FF00AAhex\x04 \x04ff0000,00ff00two", "hex two", ""},
		{"\x1funder\x1f \x16rev\x16 bell\x07 tab\tkept", "under rev bell tab\tkept", ""},
		{"\x02\x02empty", "empty", ""},
		{"caf\u00e9 \x02cr\u00e8me\x02", "caf\u00e9 cr\u00e8me", "BOLD[cr\u00e8me]"},
	} {
		text, spans := formatted(c.in)
		if got := spanString(text, spans); text != c.text || got != c.spans {
			t.Errorf("formatted(%q) = %q %s, want %q %s", c.in, text, got, c.text, c.spans)
		}
		for i, a := range spans {
			for _, b := range spans[i+1:] {
				if a.Start < b.Start && b.Start < a.End && a.End < b.End {
					t.Errorf("formatted(%q): spans cross: %v %v", c.in, a, b)
				}
			}
		}
	}
}

// TestDecodeText: UTF-8 stays as it is; anything else is read as
// Windows-1252.
func TestDecodeText(t *testing.T) {
	for in, want := range map[string]string{
		"caf\u00e9":                     "caf\u00e9",
		"caf\xe9 cr\xe8me":              "caf\u00e9 cr\u00e8me",
		"\x93quoted\x94 \x80 5":         "\u201cquoted\u201d \u20ac 5",
		"ascii":                         "ascii",
		"mixed \u00e9 and \xe9 (latin)": "mixed \u00c3\u00a9 and \u00e9 (latin)",
	} {
		got := decodeText(in)
		if got != want || !utf8.ValidString(got) {
			t.Errorf("decodeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDecodeTextCutByServer: a UTF-8 line a server cut to its limit
// (TOPICLEN, a relayed line's 512 bytes) inside a character is UTF-8 with
// the broken character dropped (also before a mark of the cut: ngircd's
// "[CUT]"), not Windows-1252 throughout (mojibake: "Ã©Ã©"); a Latin-1
// line is still Latin-1, one ending in é too.
func TestDecodeTextCutByServer(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"d\u00e9j\u00e0 vu \xc3", "d\u00e9j\u00e0 vu "},
		{"\u00e9\u00e9\xe2\x82", "\u00e9\u00e9"},       // € cut after 2 of 3 bytes
		{"ok \U0001F600\xf0\x9f\x98", "ok \U0001F600"}, // an emoji cut
		{"caf\xe9", "caf\u00e9"},                       // Latin-1, no UTF-8 before
		{"caf\xe9 cr\xe8me", "caf\u00e9 cr\u00e8me"},
		{"\u00e9t\u00e9 \xe9", "\u00e9t\u00e9 "},               // cut inside é
		{"\u00e9\u00e9\xc3[CUT]", "\u00e9\u00e9[CUT]"},         // ngircd marks its cut
		{"\u00e9 \xe9 (latin)", "\u00c3\u00a9 \u00e9 (latin)"}, // a Latin-1 é inside: no cut
		{"plain", "plain"},
		{"\xc3", "\u00c3"}, // a lone byte: Latin-1
	} {
		if got := decodeText(c.in); got != c.want {
			t.Errorf("decodeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
