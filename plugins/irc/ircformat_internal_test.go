package irc

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestIRCText: the contract's spans as the XEP-0393 directives the
// user typed, inside mIRC's codes (opened again on each line: a code
// holds to its IRC line's end) or alone; quotes, blocks and links
// either way; text is never lost, nor are directives the user did not
// mean as styling ("_bob_", "*!*@host", "*_*"), and a span out of
// bounds is left out. Read back (formatted), the codes give the typed
// text and its spans.
func TestIRCText(t *testing.T) {
	sp := func(start, end uint32, style pb.Span_Style) *pb.Span {
		return &pb.Span{Start: start, End: end, Style: style}
	}
	const (
		bold   = pb.Span_STYLE_BOLD
		italic = pb.Span_STYLE_ITALIC
		strike = pb.Span_STYLE_STRIKE
		code   = pb.Span_STYLE_CODE
		pre    = pb.Span_STYLE_PRE
		quote  = pb.Span_STYLE_QUOTE
	)
	for _, c := range []struct {
		name, text   string
		spans        []*pb.Span
		codes, typed string
	}{
		{"plain", "just words", nil, "just words", "just words"},
		{"bold", "a bold word", []*pb.Span{sp(2, 6, bold)}, "a \x02*bold*\x02 word", "a *bold* word"},
		{"nested", "all of it", []*pb.Span{sp(0, 9, bold), sp(4, 6, italic)}, "\x02*all \x1d_of_\x1d it*\x02", "*all _of_ it*"},
		{"same edges", "x", []*pb.Span{sp(0, 1, bold), sp(0, 1, strike)}, "\x02*\x1e~x~\x1e*\x02", "*~x~*"},
		{"code", "run ls now", []*pb.Span{sp(4, 6, code)}, "run \x11`ls`\x11 now", "run `ls` now"},
		{"two lines", "one\ntwo", []*pb.Span{sp(0, 7, italic)}, "\x1d_one_\x1d\n\x1d_two_\x1d", "_one_\n_two_"},
		{"pre", "see:\nfoo()\nbar()", []*pb.Span{sp(5, 16, pre)}, "see:\n\x11foo()\x11\n\x11bar()\x11", "see:\n```\nfoo()\nbar()\n```"},
		{"quote", "they said\nno way\nok", []*pb.Span{sp(0, 16, quote), sp(10, 16, bold)}, "> they said\n> \x02*no way*\x02\nok", "> they said\n> *no way*\nok"},
		{"link", "the site", []*pb.Span{{Start: 4, End: 8, Style: pb.Span_STYLE_LINK, Url: "https://x.example"}}, "the site (https://x.example)", "the site (https://x.example)"},
		{"link as its address", "https://x.example", []*pb.Span{{Start: 0, End: 17, Style: pb.Span_STYLE_LINK, Url: "https://x.example"}}, "https://x.example", "https://x.example"},
		{"mention", "hi dave", []*pb.Span{{Start: 3, End: 7, Style: pb.Span_STYLE_MENTION, UserId: "dave"}}, "hi dave", "hi dave"},
		{"out of bounds", "short", []*pb.Span{sp(2, 40, bold), sp(3, 1, bold)}, "short", "short"},
		{"mid character", "caf\u00e9 ok", []*pb.Span{sp(0, 4, bold)}, "caf\u00e9 ok", "caf\u00e9 ok"},
		{"ban mask", "/mode +b !@host", []*pb.Span{sp(9, 10, bold)}, "/mode +b \x02*!*\x02@host", "/mode +b *!*@host"},
		// What the gateway read as styling though the user meant none
		// goes as typed, with codes around: a nick, a face, a name.
		{"nick", "hi bob", []*pb.Span{sp(3, 6, italic)}, "hi \x1d_bob_\x1d", "hi _bob_"},
		{"ban mask in a line", "ban !@host", []*pb.Span{sp(4, 5, bold)}, "ban \x02*!*\x02@host", "ban *!*@host"},
		{"face", "_ ok", []*pb.Span{sp(0, 1, bold)}, "\x02*_*\x02 ok", "*_* ok"},
		{"dunder", "_init_ is", []*pb.Span{sp(0, 5, italic)}, "\x1d__init_\x1d_ is", "__init__ is"},
		{"path", "/src/x", []*pb.Span{sp(0, 6, strike)}, "\x1e~/src/x~\x1e", "~/src/x~"},
	} {
		if got := ircText(c.text, c.spans, true); got != c.codes {
			t.Errorf("%s, codes: %q, want %q", c.name, got, c.codes)
		}
		if got := ircText(c.text, c.spans, false); got != c.typed {
			t.Errorf("%s, typed: %q, want %q", c.name, got, c.typed)
		}
	}
	// Read back, the codes are the spans they came from.
	text, spans := formatted(ircText("a bold and italic end", []*pb.Span{sp(2, 6, bold), sp(11, 17, italic), sp(2, 17, strike)}, true))
	if got := spanString(text, spans); text != "a ~*bold* and _italic_~ end" || got != "STRIKE[~*bold* and _italic_~] BOLD[*bold*] ITALIC[_italic_]" {
		t.Errorf("read back: %q %s", text, got)
	}
}

// TestCarryCodes: a line cut to fit opens again, at each piece's start,
// the styles still open at the cut; a style closed or reset before it is
// not.
func TestCarryCodes(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"plain ", "text"}, []string{"plain ", "text"}},
		{[]string{"\x02all bold ", "still bold\x02 done"}, []string{"\x02all bold ", "\x02still bold\x02 done"}},
		{[]string{"\x02b \x1dbi ", "bi\x1d b ", "b\x02"}, []string{"\x02b \x1dbi ", "\x02\x1dbi\x1d b ", "\x02b\x02"}},
		{[]string{"\x02closed\x02 ", "plain"}, []string{"\x02closed\x02 ", "plain"}},
		{[]string{"\x11code\x0f ", "reset"}, []string{"\x11code\x0f ", "reset"}},
	} {
		if got := carryCodes(slices.Clone(c.in)); !slices.Equal(got, c.want) {
			t.Errorf("carryCodes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
