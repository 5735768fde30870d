package format

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A message marked as a spoiler: one spoiler span over the whole text,
// outside its styles, inside a block that is the whole text too.
func TestSpoiled(t *testing.T) {
	cases := []struct {
		body, want string
	}{
		{"the butler did it", "SPOILER[0,17)"},
		{"the *butler* did it", "SPOILER[0,17) BOLD[4,10)"},
		{"> quoted\nanswer", "SPOILER[0,13) QUOTE[0,6)"},
		{"> all quoted", "QUOTE[0,10) SPOILER[0,10)"},
		{"", ""},
	}
	for _, tc := range cases {
		text, spans := Parse(tc.body)
		if got := spanList(Spoiled(text, spans)); got != tc.want {
			t.Errorf("Spoiled(Parse(%q)) = %s, want %s", tc.body, got, tc.want)
		}
	}
	// The spans it was given stay as they were.
	spans := []*pb.Span{sp(1, 2, pb.Span_STYLE_BOLD)}
	Spoiled("abc", spans)
	if len(spans) != 1 || spans[0].Style != pb.Span_STYLE_BOLD {
		t.Errorf("the spans given changed: %s", spanList(spans))
	}
}
