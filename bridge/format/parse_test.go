package format

import (
	"fmt"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

const (
	bold    = pb.Span_STYLE_BOLD
	italic  = pb.Span_STYLE_ITALIC
	strike  = pb.Span_STYLE_STRIKE
	code    = pb.Span_STYLE_CODE
	pre     = pb.Span_STYLE_PRE
	quote   = pb.Span_STYLE_QUOTE
	link    = pb.Span_STYLE_LINK
	mention = pb.Span_STYLE_MENTION
	spoiler = pb.Span_STYLE_SPOILER
)

func sp(start, end int, style pb.Span_Style) *pb.Span {
	return &pb.Span{Start: uint32(start), End: uint32(end), Style: style}
}

// spanList prints spans as "style[start,end)" for comparisons.
func spanList(spans []*pb.Span) string {
	var s []string
	for _, x := range spans {
		s = append(s, fmt.Sprintf("%s[%d,%d)", strings.TrimPrefix(x.Style.String(), "STYLE_"), x.Start, x.End))
	}
	return strings.Join(s, " ")
}

// TestParseXEP0393Examples: the examples of XEP-0393 (version 1.1.1),
// each with the text and spans the network should get.
func TestParseXEP0393Examples(t *testing.T) {
	for _, c := range []struct {
		body, text, spans string
	}{
		// 4. Glossary, Span.
		{"(plain span)", "(plain span)", ""},
		{"*strong span*", "strong span", "BOLD[0,11)"},
		{"_emphasized span_", "emphasized span", "ITALIC[0,15)"},
		{"_emphasized span containing *strong span*_", "emphasized span containing strong span", "ITALIC[0,38) BOLD[27,38)"},
		{"span one *span two*", "span one span two", "BOLD[9,17)"},
		// 5.1.1 Plain blocks: spans may not escape blocks.
		{"There are three blocks in this body marked by parens,\nbut there is no *formatting\nas spans* may not escape blocks.",
			"There are three blocks in this body marked by parens,\nbut there is no *formatting\nas spans* may not escape blocks.", ""},
		// 5.1.2 Preformatted text.
		{"```ignored\n(println \"Hello, world!\")\n```\n\nThis should show up as monospace, preformatted text ⤴",
			"(println \"Hello, world!\")\n\nThis should show up as monospace, preformatted text ⤴", "PRE[0,25)"},
		{"> ```\n> (println \"Hello, world!\")\n\nThe entire blockquote is a preformatted text block, but this line\nis plaintext!",
			"(println \"Hello, world!\")\n\nThe entire blockquote is a preformatted text block, but this line\nis plaintext!", "QUOTE[0,25) PRE[0,25)"},
		// 5.1.3 Quotations.
		{"> That that is, is.\n\nSaid the old hermit of Prague.", "That that is, is.\n\nSaid the old hermit of Prague.", "QUOTE[0,17)"},
		{">> That that is, is.\n> Said the old hermit of Prague.\n\nWho?", "That that is, is.\nSaid the old hermit of Prague.\n\nWho?", "QUOTE[0,48) QUOTE[0,17)"},
		// 5.2 Spans: styled.
		{"*strong*", "strong", "BOLD[0,6)"},
		{"plain *strong* plain", "plain strong plain", "BOLD[6,12)"},
		{"*strong* plain *strong*", "strong plain strong", "BOLD[0,6) BOLD[13,19)"},
		{"*strong*plain*", "strongplain*", "BOLD[0,6)"},
		{"* plain *strong*", "* plain strong", "BOLD[8,14)"},
		// 5.2 Spans: nothing styled.
		{"not strong*", "not strong*", ""},
		{"*not strong", "*not strong", ""},
		{"*not \n strong*", "*not \n strong*", ""},
		{"*not *strong", "*not *strong", ""},
		{"**", "**", ""},
		{"****", "****", ""},
		// 5.2.1 to 5.2.5.
		{"Two spans, both *alike in dignity*", "Two spans, both alike in dignity", "BOLD[16,32)"},
		{"The full title is _Twelfth Night, or What You Will_ but\n_most_ people shorten it.",
			"The full title is Twelfth Night, or What You Will but\nmost people shorten it.", "ITALIC[18,49) ITALIC[54,58)"},
		{"Everyone ~dis~likes cake.", "Everyone dislikes cake.", "STRIKE[9,12)"},
		{"This is `monospace`", "This is monospace", "CODE[8,17)"},
		{"This is `*monospace*`", "This is *monospace*", "CODE[8,19)"},
		{"This is *`monospace and bold`*", "This is monospace and bold", "BOLD[8,26) CODE[8,26)"},
		{"Wow, I can write in `monospace`!", "Wow, I can write in monospace!", "CODE[20,29)"},
	} {
		text, spans := Parse(c.body)
		if text != c.text || spanList(spans) != c.spans {
			t.Errorf("Parse(%q)\n got %q %s\nwant %q %s", c.body, text, spanList(spans), c.text, c.spans)
		}
	}
}

// TestParseEdges: offsets in bytes across multi-byte characters, Unicode
// whitespace, blocks without content, and what is plain when in doubt.
func TestParseEdges(t *testing.T) {
	for _, c := range []struct {
		body, text, spans string
	}{
		{"", "", ""},
		{"*héllo* wörld", "héllo wörld", "BOLD[0,6)"},
		{"😀 _ça va_ ?", "😀 ça va ?", "ITALIC[5,11)"},
		{"*\u00a0not*", "*\u00a0not*", ""},          // no-break space after the opening
		{"x\u2003*yes*", "x\u2003yes", "BOLD[4,7)"}, // em space before it
		{"a*b*c", "a*b*c", ""},                      // the opening needs a space before
		{"*a* *b*", "a b", "BOLD[0,1) BOLD[2,3)"},   //
		{"*_a_*", "a", "BOLD[0,1) ITALIC[0,1)"},     // nested right after the opening
		{"_a *b_ c*", "a *b c*", "ITALIC[0,4)"},     // lazy: the first closing wins
		{"`a *b* c`", "a *b* c", "CODE[0,7)"},       // nothing inside code
		{"```", "```", ""},                          // a fence and nothing
		{"```\n```", "```\n```", ""},                // an empty block is plain
		{"```go\nx := 1", "x := 1", "PRE[0,6)"},     // unclosed: to the end
		{"```\n*a*\n```\n*b*", "*a*\nb", "PRE[0,3) BOLD[4,5)"},
		{"> ", "", ""},
		{">\n>", "\n", ""},
		{">a\n>", "a\n", "QUOTE[0,1)"},
		{"> *a*\nb", "a\nb", "QUOTE[0,1) BOLD[0,1)"},
		{">>> deep", "deep", "QUOTE[0,4) QUOTE[0,4) QUOTE[0,4)"},
		{">\u3000wide space", "wide space", "QUOTE[0,10)"},
		{"a\xffb *c*", "a\ufffdb c", "BOLD[6,7)"},
		{"\xff*", "\ufffd*", ""},
	} {
		text, spans := Parse(c.body)
		if text != c.text || spanList(spans) != c.spans {
			t.Errorf("Parse(%q)\n got %q %s\nwant %q %s", c.body, text, spanList(spans), c.text, c.spans)
		}
		checkSpans(t, "Parse("+fmt.Sprintf("%q", c.body)+")", text, spans)
	}
}
