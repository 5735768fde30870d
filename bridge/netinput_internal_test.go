package bridge

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestNetworkReactionDuplicatesOnce: a network's reaction naming one
// emoji twice reaches XMPP with each emoji once (XEP-0444 counts a
// reaction per emoji), in order; before, the client was handed the
// duplicate.
func TestNetworkReactionDuplicatesOnce(t *testing.T) {
	tr := newTestTransport(t)
	ev := &pb.Event{LoginId: "l", ChatId: "bob", Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: "m1", Emojis: []string{"👍", "❤️", "👍"}}}}
	tr.fitEvent(ev)
	if got := ev.GetReaction().Emojis; !slices.Equal(got, []string{"👍", "❤️"}) {
		t.Errorf("emojis %q, want each once", got)
	}
}
