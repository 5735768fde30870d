package bridge

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// TestReactionLimitFeatures: max_reactions says the limit; without it
// an older plugin's single_reaction says one; of a login's and its
// transport's limits the smaller holds, none standing for no limit; a
// set over the limit keeps its newest (last) reactions. Only "one" or
// "no limit" existed before.
func TestReactionLimitFeatures(t *testing.T) {
	for _, c := range []struct {
		f    *pb.Features
		want int
	}{
		{&pb.Features{Reactions: true}, 0},
		{&pb.Features{Reactions: true, SingleReaction: true}, 1},
		{&pb.Features{Reactions: true, MaxReactions: 3}, 3},
		{&pb.Features{Reactions: true, SingleReaction: true, MaxReactions: 3}, 3}, // the count, when said
	} {
		if got := reactionLimit(c.f); got != c.want {
			t.Errorf("reactionLimit(%v) = %d, want %d", c.f, got, c.want)
		}
	}
	for _, c := range [][3]uint32{{0, 0, 0}, {0, 3, 3}, {3, 0, 3}, {1, 3, 1}, {3, 1, 1}} {
		got := sdk.IntersectFeatures(&pb.Features{Reactions: true, MaxReactions: c[0]}, &pb.Features{Reactions: true, MaxReactions: c[1]})
		if reactionLimit(got) != int(c[2]) {
			t.Errorf("limits %d and %d: %d, want %d", c[0], c[1], reactionLimit(got), c[2])
		}
	}
	// A chat's single_reaction under a network's three: one.
	if got := sdk.IntersectFeatures(&pb.Features{Reactions: true, MaxReactions: 3}, &pb.Features{Reactions: true, SingleReaction: true}); reactionLimit(got) != 1 {
		t.Errorf("three and single: %d, want 1", reactionLimit(got))
	}
	set := []string{"👍", "❤️", "😂", "😮"}
	if got := newestReactions(set, 3); !slices.Equal(got, set[1:]) {
		t.Errorf("newest 3 of %v: %v", set, got)
	}
	if got := newestReactions(set, 0); !slices.Equal(got, set) {
		t.Errorf("no limit: %v", got)
	}
	three := contactFeatures(&pb.Features{Reactions: true, MaxReactions: 3})
	if three.maxReactions != 3 || three.ver == contactFeatures(&pb.Features{Reactions: true, SingleReaction: true}).ver {
		t.Errorf("contact caps of a three-reaction network: %d, ver %s", three.maxReactions, three.ver)
	}
}
