package format

import (
	"math"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Spoiled is spans (as Parse returns them) with one STYLE_SPOILER span
// over the whole of text added, in Parse's order: what a message the user
// marked as a spoiler (XEP-0382, which hides the whole body, never a
// part) means to the network. An empty text has nothing to hide: spans
// as they are.
func Spoiled(text string, spans []*pb.Span) []*pb.Span {
	if text == "" || len(text) > math.MaxUint32 {
		return spans
	}
	out := append(make([]*pb.Span, 0, len(spans)+1), spans...)
	out = append(out, &pb.Span{Start: 0, End: uint32(len(text)), Style: pb.Span_STYLE_SPOILER})
	sortSpans(out)
	return out
}
