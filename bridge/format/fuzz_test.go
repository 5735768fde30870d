package format

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The seeds run with the normal tests; `go test -fuzz=FuzzParse` (or
// FuzzRender) explores further.

var parseSeeds = []string{
	"", "*strong*", "plain *strong* plain", "*strong*plain*", "* plain *strong*", "*not \n strong*", "****",
	"_emphasized span containing *strong span*_", "This is *`monospace and bold`*", "```ignored\ncode\n```\nafter",
	"> ```\n> code\n\nplain", ">> a\n> b\n\nc", "> ", ">\n>", "```", "```\n```", "a\xffb *c*", "*\u00a0x*", "x\u2003*y*",
	"_a *b_ c*", "~~", "`*`", "> *a*\nb", "😀 _ça va_ ?", "*a\n*", "\r\n*a*\r\n",
}

// directiveFree reports whether s has nothing XEP-0393 reads as styling:
// no directive characters, no '>' and so no quote.
func directiveFree(s string) bool { return !strings.ContainsAny(s, "*_~`>") }

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		text, spans := Parse(body)
		checkSpans(t, "Parse", text, spans)
		clean, _ := validUTF8(body)
		if directiveFree(body) && (text != clean || len(spans) != 0) {
			t.Fatalf("Parse(%q) = %q %s; want the body as it is", body, text, spanList(spans))
		}
		// What Parse read, Render writes so that Parse reads it again
		// (quotes up to MaxQuoteDepth deep).
		if !directiveFree(text) || quoteDepth(spans) > MaxQuoteDepth {
			return
		}
		r := Render(text, spans, nil)
		checkRendered(t, r)
		again, spans2 := Parse(r.Body)
		if again != text || spanList(spans2) != spanList(spans) {
			t.Fatalf("Parse(%q) = %q %s\nrendered %q\nread again as %q %s", body, text, spanList(spans), r.Body, again, spanList(spans2))
		}
	})
}

// quoteDepth is how deep the quotes of ordered, nested spans go.
func quoteDepth(spans []*pb.Span) int {
	var stack []*pb.Span
	deepest := 0
	for _, s := range spans {
		if s.Style != quote {
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].End <= s.Start {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, s)
		deepest = max(deepest, len(stack))
	}
	return deepest
}

// fuzzSpans decodes raw into spans over a text of n bytes: 4 bytes each.
func fuzzSpans(raw []byte, n int) []*pb.Span {
	urls := []string{"", "https://x.org/a_b", "x.org", "bad url", "u1", "u*", "https://x.org"}
	var spans []*pb.Span
	for ; len(raw) >= 4; raw = raw[4:] {
		start := int(raw[0]) % (n + 2)
		end := start + int(raw[1])%(n+3) - 1
		sp := &pb.Span{Start: uint32(max(start, 0)), End: uint32(max(end, 0)), Style: pb.Span_Style(raw[2] % 10)}
		sp.Url = urls[int(raw[3])%len(urls)]
		sp.UserId = urls[int(raw[3]>>4)%len(urls)]
		spans = append(spans, sp)
	}
	return spans
}

func FuzzRender(f *testing.F) {
	f.Add("hello bold world", []byte{6, 5, 0, 0})
	f.Add("a very big deal", []byte{2, 14, 0, 0, 7, 4, 1, 0})
	f.Add("see the docs", []byte{8, 5, 6, 1, 8, 5, 0, 0})
	f.Add("hi @Bob", []byte{3, 5, 7, 0x40, 0, 8, 1, 0})
	f.Add("quote me please", []byte{6, 3, 5, 0})
	f.Add("x := 1\ny := 2", []byte{0, 14, 4, 0, 0, 4, 5, 0})
	f.Add("é x\xff", []byte{1, 2, 0, 0, 200, 3, 9, 0})
	f.Fuzz(func(t *testing.T, text string, raw []byte) {
		spans := fuzzSpans(raw, len(text))
		names := func(id string) string { return "N*" + id }
		r := Render(text, spans, names)
		checkRendered(t, r)
		clean, _ := validUTF8(text)
		if len(spans) == 0 && r.Body != clean {
			t.Fatalf("Render(%q) without spans = %q", text, r.Body)
		}
		for _, m := range r.Mentions {
			if got := string([]rune(r.Body)[m.Begin:m.End]); strings.TrimSpace(got) == "" {
				t.Fatalf("mention %+v on %q in %q", m, got, r.Body)
			}
		}
		// Sound: on one line of text without directives, each span a
		// client reads in the body is one that was asked for.
		if !utf8.ValidString(text) || !directiveFree(text) || strings.Contains(text, "\n") {
			return
		}
		var inline []*pb.Span
		for _, s := range spans {
			if directiveOf(s.Style) != 0 {
				inline = append(inline, s)
			}
		}
		r = Render(text, inline, nil)
		got, read := Parse(r.Body)
		if got != text {
			t.Fatalf("Render(%q, %s) = %q, read as text %q", text, spanList(inline), r.Body, got)
		}
		for _, s := range read {
			if !asked(text, inline, s) {
				t.Fatalf("Render(%q, %s) = %q, read as %s: %s was not asked for", text, spanList(inline), r.Body, spanList(read), spanList([]*pb.Span{s}))
			}
		}
	})
}

// asked reports whether s is one of spans, as Render trims it (clamped,
// on character edges, without whitespace at its edges).
func asked(text string, spans []*pb.Span, s *pb.Span) bool {
	for _, a := range spans {
		if a.Style != s.Style {
			continue
		}
		start, end := min(int(a.Start), len(text)), min(int(a.End), len(text))
		for start > 0 && start < len(text) && !utf8.RuneStart(text[start]) {
			start--
		}
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end++
		}
		for start < end && spaceAt(text, start) {
			_, w := utf8.DecodeRuneInString(text[start:])
			start += w
		}
		for start < end && spaceBefore(text, end) {
			_, w := utf8.DecodeLastRuneInString(text[:end])
			end -= w
		}
		if start == int(s.Start) && end == int(s.End) {
			return true
		}
	}
	return false
}

// TestHostileSizesAreLinear: a long line of openings that never close, or
// thousands of spans over thousands of lines, take time in proportion to
// their size (before, the line took 1 s to parse, growing with the square
// of its length, and the spans 9 s to render).
func TestHostileSizesAreLinear(t *testing.T) {
	start := time.Now()
	body := strings.Repeat("*a _b ~c `d ", 6000) // 72 KB, one line
	text, _ := Parse(body)
	if text != body {
		t.Errorf("nothing closes, yet Parse changed the text")
	}
	lines := strings.Repeat("some words *here*\n", 4000)
	var spans []*pb.Span
	for i := range MaxSpans {
		spans = append(spans, sp(i, len(lines)-i, []pb.Span_Style{bold, italic, link, mention}[i%4]))
		spans[i].Url, spans[i].UserId = "https://x.org/*_", "u"
	}
	Render(lines, spans, func(string) string { return "n*_" })
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hostile sizes took %v", d)
	}
}
