package format

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

func lnk(start, end int, url string) *pb.Span {
	return &pb.Span{Start: uint32(start), End: uint32(end), Style: link, Url: url}
}

func men(start, end int, user string) *pb.Span {
	return &pb.Span{Start: uint32(start), End: uint32(end), Style: mention, UserId: user}
}

func TestRender(t *testing.T) {
	names := func(id string) string {
		return map[string]string{"4915": "Alice", "u*": "Star*Man", "nl": "two\nlines "}[id]
	}
	for _, c := range []struct {
		name     string
		text     string
		spans    []*pb.Span
		body     string
		mentions []Mention
	}{
		{name: "no spans", text: "just *text* > as typed", body: "just *text* > as typed"},
		{name: "bold", text: "hello bold world", spans: []*pb.Span{sp(6, 10, bold)}, body: "hello *bold* world"},
		{name: "each inline style", text: "a b c d", spans: []*pb.Span{sp(0, 1, bold), sp(2, 3, italic), sp(4, 5, strike), sp(6, 7, code)},
			body: "*a* _b_ ~c~ `d`"},
		{name: "edges trimmed", text: "a  bold  b", spans: []*pb.Span{sp(1, 9, bold)}, body: "a  *bold*  b"},
		{name: "inside a word: plain", text: "xboldy", spans: []*pb.Span{sp(1, 5, bold)}, body: "xboldy"},
		{name: "holds its directive: plain", text: "2*3=6 ok", spans: []*pb.Span{sp(0, 5, bold)}, body: "2*3=6 ok"},
		{name: "nested on one range", text: "x", spans: []*pb.Span{sp(0, 1, italic), sp(0, 1, bold)}, body: "*_x_*"},
		{name: "nested inside", text: "a very big deal", spans: []*pb.Span{sp(2, 15, bold), sp(7, 10, italic)}, body: "a *very _big_ deal*"},
		{name: "same style nested: the inner is plain", text: "a b c", spans: []*pb.Span{sp(0, 5, bold), sp(2, 3, bold)}, body: "*a b c*"},
		{name: "nothing styled in code", text: "x := y", spans: []*pb.Span{sp(0, 6, code), sp(0, 1, bold)}, body: "`x := y`"},
		{name: "adjacent: the second cannot open", text: "ab", spans: []*pb.Span{sp(0, 1, bold), sp(1, 2, italic)}, body: "*a*b"},
		{name: "over lines: one span per line", text: "one\ntwo", spans: []*pb.Span{sp(0, 7, bold)}, body: "*one*\n*two*"},
		{name: "link", text: "see the docs", spans: []*pb.Span{lnk(8, 12, "https://docs.example/a_b")}, body: "see the docs (https://docs.example/a_b)"},
		{name: "bold link", text: "see docs", spans: []*pb.Span{lnk(4, 8, "https://d.example"), sp(4, 8, bold)}, body: "see *docs* (https://d.example)"},
		{name: "URL with the directive: plain", text: "see docs", spans: []*pb.Span{sp(0, 8, italic), lnk(4, 8, "https://d.example/a_b")},
			body: "see docs (https://d.example/a_b)"},
		{name: "link that is its URL", text: "go to a.org/", spans: []*pb.Span{lnk(6, 12, "https://a.org")}, body: "go to a.org/"},
		{name: "link without a usable URL", text: "click", spans: []*pb.Span{lnk(0, 5, "java script:\n")}, body: "click"},
		{name: "mention", text: "hi @Bob!", spans: []*pb.Span{men(3, 7, "u1")}, body: "hi @Bob!",
			mentions: []Mention{{Range{3, 7}, "u1"}}},
		{name: "mention after multi-byte characters", text: "😀 @Zoë ok", spans: []*pb.Span{men(5, 10, "z")}, body: "😀 @Zoë ok",
			mentions: []Mention{{Range{2, 6}, "z"}}},
		{name: "mention after directives", text: "hi @Bob", spans: []*pb.Span{sp(0, 7, italic), men(3, 7, "u1")}, body: "_hi @Bob_",
			mentions: []Mention{{Range{4, 8}, "u1"}}},
		{name: "bold mention: the reference is its text", text: "@Bob hi", spans: []*pb.Span{men(0, 4, "u1"), sp(0, 4, bold)}, body: "*@Bob* hi",
			mentions: []Mention{{Range{1, 5}, "u1"}}},
		{name: "raw ID named", text: "@4915 hi", spans: []*pb.Span{men(0, 5, "4915")}, body: "@Alice hi",
			mentions: []Mention{{Range{0, 6}, "4915"}}},
		{name: "name on one line", text: "nl", spans: []*pb.Span{men(0, 2, "nl")}, body: "@two lines",
			mentions: []Mention{{Range{0, 10}, "nl"}}},
		{name: "name with the directive: plain", text: "u* x", spans: []*pb.Span{sp(0, 4, bold), men(0, 2, "u*")}, body: "@Star*Man x",
			mentions: []Mention{{Range{0, 9}, "u*"}}},
		{name: "a mention's text kept", text: "@Bobby", spans: []*pb.Span{men(0, 6, "4915")}, body: "@Bobby",
			mentions: []Mention{{Range{0, 6}, "4915"}}},
		{name: "quote", text: "a\nb", spans: []*pb.Span{sp(0, 3, quote)}, body: "> a\n> b"},
		{name: "quote inside a line", text: "he said I will and left", spans: []*pb.Span{sp(8, 14, quote)}, body: "he said\n> I will\nand left"},
		{name: "quote without spaces around", text: "x:quoted.y", spans: []*pb.Span{sp(2, 8, quote)}, body: "x:\n> quoted\n.y"},
		{name: "nested quotes", text: "q\nr", spans: []*pb.Span{sp(0, 3, quote), sp(0, 1, quote)}, body: "> > q\n> r"},
		{name: "quote with its line break", text: "a\nb", spans: []*pb.Span{sp(0, 2, quote)}, body: "> a\nb"},
		{name: "pre block", text: "x := 1\ny := 2", spans: []*pb.Span{sp(0, 13, pre)}, body: "```\nx := 1\ny := 2\n```"},
		{name: "pre block inside a line", text: "code: x\ny", spans: []*pb.Span{sp(6, 9, pre)}, body: "code:\n```\nx\ny\n```"},
		{name: "pre in one line: code", text: "run ls -l now", spans: []*pb.Span{sp(4, 9, pre)}, body: "run `ls -l` now"},
		{name: "pre holding a fence: plain", text: "a\n```\nb", spans: []*pb.Span{sp(0, 7, pre)}, body: "a\n```\nb"},
		{name: "pre in a quote", text: "x\ny", spans: []*pb.Span{sp(0, 3, quote), sp(0, 3, pre)}, body: "> ```\n> x\n> y\n> ```"},
		{name: "nothing styled in pre", text: "*a* b", spans: []*pb.Span{sp(0, 5, pre), sp(4, 5, bold)}, body: "```\n*a* b\n```"},
		{name: "code holding a backtick: plain", text: "a `b c", spans: []*pb.Span{sp(0, 6, code)}, body: "a `b c"},
		{name: "spoiler shown", text: "he dies", spans: []*pb.Span{sp(3, 7, spoiler)}, body: "he dies"},

		// Hostile spans.
		{name: "past the end", text: "abc", spans: []*pb.Span{sp(100, 200, bold)}, body: "abc"},
		{name: "end clamped", text: "ab cd", spans: []*pb.Span{sp(3, 1000, bold)}, body: "ab *cd*"},
		{name: "start after end", text: "abc", spans: []*pb.Span{sp(2, 1, bold)}, body: "abc"},
		{name: "inside a character", text: "é x", spans: []*pb.Span{sp(1, 2, bold)}, body: "*é* x"},
		{name: "crossing: the later dropped", text: "abcde fghij", spans: []*pb.Span{sp(0, 5, bold), sp(3, 11, italic)}, body: "*abcde* fghij"},
		{name: "nil, unknown style, repeated", text: "ab", spans: []*pb.Span{nil, {Start: 0, End: 2, Style: 99}, sp(0, 2, bold), sp(0, 2, bold)}, body: "*ab*"},
		{name: "mention without a user", text: "@x", spans: []*pb.Span{men(0, 2, "")}, body: "@x"},
		{name: "invalid UTF-8", text: "a\xffb c", spans: []*pb.Span{sp(0, 3, bold), men(4, 5, "u")}, body: "*a\ufffdb* c",
			mentions: []Mention{{Range{6, 7}, "u"}}},
		{name: "empty", text: "", spans: []*pb.Span{sp(0, 1, bold)}, body: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Render(c.text, c.spans, names)
			if r.Body != c.body || !reflect.DeepEqual(r.Mentions, c.mentions) {
				t.Errorf("Render(%q, %s)\n got %q %v\nwant %q %v", c.text, spanList(c.spans), r.Body, r.Mentions, c.body, c.mentions)
			}
			checkRendered(t, r)
		})
	}
}

func TestRenderSpoilerAndStyled(t *testing.T) {
	r := Render("he dies", []*pb.Span{sp(3, 7, spoiler)}, nil)
	if !reflect.DeepEqual(r.Spoilers, []Range{{3, 7}}) || r.Styled {
		t.Errorf("spoiler: %+v", r)
	}
	if r := Render("a b", []*pb.Span{sp(0, 1, bold)}, nil); !r.Styled {
		t.Errorf("bold: Styled false")
	}
	if r := Render("a\nb", []*pb.Span{sp(0, 3, pre)}, nil); !r.Styled {
		t.Errorf("pre block: Styled false")
	}
	if r := Render("a", []*pb.Span{sp(0, 1, quote)}, nil); !r.Styled {
		t.Errorf("quote: Styled false")
	}
	if r := Render("see it", []*pb.Span{lnk(4, 6, "https://x.org"), men(0, 3, "u")}, nil); r.Styled {
		t.Errorf("link and mention: Styled true")
	}
}

// TestRenderParseRoundTrip: what Render writes, Parse (a XEP-0393
// client) reads back as the same text and styles.
func TestRenderParseRoundTrip(t *testing.T) {
	for _, c := range []struct {
		text  string
		spans []*pb.Span
	}{
		{"hello bold world", []*pb.Span{sp(6, 10, bold)}},
		{"a very big deal", []*pb.Span{sp(2, 15, bold), sp(7, 10, italic)}},
		{"ça c'est ~barré~ non", []*pb.Span{sp(0, 3, strike), sp(10, 20, code)}},
		{"first\nsecond line", []*pb.Span{sp(0, 17, quote), sp(6, 12, bold)}},
		{"x := 1\ny := 2", []*pb.Span{sp(0, 13, pre)}},
		{"q\nr", []*pb.Span{sp(0, 3, quote), sp(0, 1, quote)}},
	} {
		r := Render(c.text, c.spans, nil)
		text, spans := Parse(r.Body)
		if text != c.text {
			t.Errorf("Parse(Render(%q)) text %q (body %q)", c.text, text, r.Body)
			continue
		}
		want := Render(c.text, spans, nil)
		if want.Body != r.Body {
			t.Errorf("%q: spans %s read back as %s (body %q, again %q)", c.text, spanList(c.spans), spanList(spans), r.Body, want.Body)
		}
	}
}

// TestRenderManySpans: hostile amounts are bounded, not a panic nor a
// quadratic blow-up of the body.
func TestRenderManySpans(t *testing.T) {
	text := strings.Repeat("word ", 2000)
	var spans []*pb.Span
	for i := range 10000 {
		spans = append(spans, sp(i%len(text), len(text), quote), sp(i, i+4, bold))
	}
	r := Render(text, spans, nil)
	if len(r.Body) > 4*len(text) {
		t.Errorf("body of %d bytes for %d of text", len(r.Body), len(text))
	}
	checkRendered(t, r)
	// Quote i covers lines i to the end: the last line is 100 deep.
	lines := strings.Repeat("x\n", 99) + "x"
	var deep []*pb.Span
	for i := range 100 {
		deep = append(deep, sp(2*i, len(lines), quote))
	}
	r = Render(lines, deep, nil)
	if last := r.Body[strings.LastIndexByte(r.Body, '\n')+1:]; last != strings.Repeat("> ", MaxQuoteDepth)+"x" {
		t.Errorf("100 nested quotes: last line %q", last)
	}
}

// checkRendered checks what every Render result must be: valid UTF-8, and
// mentions and spoilers inside the body.
func checkRendered(t *testing.T, r Rendered) {
	t.Helper()
	if !utf8.ValidString(r.Body) {
		t.Errorf("body %q is not valid UTF-8", r.Body)
	}
	n := utf8.RuneCountInString(r.Body)
	for _, m := range r.Mentions {
		if m.Begin < 0 || m.Begin >= m.End || m.End > n || m.UserID == "" {
			t.Errorf("mention %+v in a body of %d code points", m, n)
		}
	}
	for _, s := range r.Spoilers {
		if s.Begin < 0 || s.Begin >= s.End || s.End > n {
			t.Errorf("spoiler %+v in a body of %d code points", s, n)
		}
	}
}

// checkSpans checks what every Parse result must be: spans inside the
// text, on character boundaries, of a known style, nested, not crossing,
// ordered.
func checkSpans(t *testing.T, what, text string, spans []*pb.Span) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s: text %q is not valid UTF-8", what, text)
	}
	var stack []*pb.Span
	for i, s := range spans {
		if s.Start >= s.End || int(s.End) > len(text) || !utf8.RuneStart(text[s.Start]) ||
			(int(s.End) < len(text) && !utf8.RuneStart(text[s.End])) {
			t.Errorf("%s: span %d %s out of %q", what, i, spanList([]*pb.Span{s}), text)
			return
		}
		if _, ok := prio[s.Style]; !ok || s.Style == link || s.Style == mention || s.Style == spoiler {
			t.Errorf("%s: span of style %v", what, s.Style)
		}
		if i > 0 && (s.Start < spans[i-1].Start) {
			t.Errorf("%s: spans out of order: %s", what, spanList(spans))
		}
		for len(stack) > 0 && stack[len(stack)-1].End <= s.Start {
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 && s.End > stack[n-1].End {
			t.Errorf("%s: crossing spans: %s", what, spanList(spans))
		}
		stack = append(stack, s)
	}
}

func ExampleRender() {
	text := "Hi @Bob, see the docs and _this_"
	spans := []*pb.Span{
		{Start: 3, End: 7, Style: pb.Span_STYLE_MENTION, UserId: "u42"},
		{Start: 13, End: 21, Style: pb.Span_STYLE_LINK, Url: "https://example.org/docs"},
		{Start: 13, End: 21, Style: pb.Span_STYLE_BOLD},
	}
	r := Render(text, spans, nil)
	fmt.Println(r.Body)
	fmt.Println(r.Mentions)
	// Output:
	// Hi @Bob, see *the docs* (https://example.org/docs) and _this_
	// [{{3 7} u42}]
}

func BenchmarkRender(b *testing.B) {
	text := "Hi @Bob, see the docs and this: it is *really* important\nquoted line"
	spans := []*pb.Span{men(3, 7, "u1"), lnk(13, 21, "https://example.org/docs"), sp(13, 21, bold), sp(57, 68, quote)}
	b.ReportAllocs()
	for b.Loop() {
		Render(text, spans, nil)
	}
}

func BenchmarkParse(b *testing.B) {
	body := "Hi, see *the docs* and _this_: `x := 1`\n> quoted line"
	b.ReportAllocs()
	for b.Loop() {
		Parse(body)
	}
}
