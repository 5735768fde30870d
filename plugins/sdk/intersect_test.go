package sdk

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// IntersectFeatures keeps what both have, the first's lists, and the
// single_reaction limit of either.
func TestIntersectFeatures(t *testing.T) {
	a := &pb.Features{Reactions: true, Edits: true, PollCreate: true, JoinChatPrefixes: []string{"#"}}
	b := &pb.Features{Reactions: true, SingleReaction: true, PollVote: true}
	got := IntersectFeatures(a, b)
	if !got.Reactions || got.Edits || got.PollCreate || got.PollVote || !got.SingleReaction || len(got.JoinChatPrefixes) != 1 {
		t.Errorf("a ∩ b = %v", got)
	}
	if got := IntersectFeatures(b, a); !got.SingleReaction || got.PollVote {
		t.Errorf("b ∩ a = %v", got)
	}
	if got := IntersectFeatures(a, nil); !got.Edits || got == a {
		t.Errorf("a ∩ nil = %v, want a copy of a", got)
	}
}
