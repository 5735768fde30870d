package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A quoted block the user writes ("> " lines, which the gateway gives
// as the lines' text under a quote span) goes to Signal with its "> "
// marks, one a level, the other styles moved with their words: Signal
// has no quote style, and the quoted words went as the user's own.
// A correction keeps them too.
func TestQuotedBlockKeepsMarks(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)

	// "> where?\n> here\nyes *there*", as the gateway parses it.
	text := "where?\nhere\nyes there"
	spans := []*pb.Span{{Start: 0, End: 11, Style: pb.Span_STYLE_QUOTE}, {Start: 16, End: 21, Style: pb.Span_STYLE_BOLD}}
	res := s.do(bob, &pb.SendMessage{Text: text, Spans: spans})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	req, _ := lastRequest(d, "send")
	if req.Params["message"] != "> where?\n> here\nyes there" || !slices.Equal(anyStrings(req.Params["textStyles"]), []string{"20:5:BOLD"}) {
		t.Fatalf("quoted block sent as %q %v", req.Params["message"], req.Params["textStyles"])
	}

	// "> > *a*\n> b": a quote in a quote, its first word bold.
	spans = []*pb.Span{{Start: 0, End: 3, Style: pb.Span_STYLE_QUOTE}, {Start: 0, End: 1, Style: pb.Span_STYLE_QUOTE}, {Start: 0, End: 1, Style: pb.Span_STYLE_BOLD}}
	if r := s.do(bob, &pb.EditMessage{TargetId: res.MessageId, TargetMeta: res.Meta, Text: "a\nb", Spans: spans}); r.Error != nil {
		t.Fatal(r.Error)
	}
	req, _ = lastRequest(d, "send")
	if req.Params["message"] != "> > a\n> b" || !slices.Equal(anyStrings(req.Params["textStyles"]), []string{"4:1:BOLD"}) || req.Params["editTimestamp"] == nil {
		t.Fatalf("nested quote corrected as %q %v", req.Params["message"], req.Params["textStyles"])
	}
}
