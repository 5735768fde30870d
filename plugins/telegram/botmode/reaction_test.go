package botmode_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A bot's reaction goes as Telegram writes it, without the variation
// selector XMPP clients put in "❤️" (Telegram refuses that one); a
// person's "❤" comes back as XMPP clients write it.
func TestReactionVariationSelector(t *testing.T) {
	api := newFakeAPI(t)
	api.push(fmt.Sprintf(`{"message_reaction":{"chat":{"id":%d,"type":"supergroup","title":"Test group"},"message_id":1001,
		"user":{"id":601,"is_bot":false,"first_name":"Bob"},"date":1700000400,"old_reaction":[],
		"new_reaction":[{"type":"emoji","emoji":"❤"}]}}`, groupID))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	i := h.waitFor(t, 0, "Bob's reaction", func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if got := h.events()[i].GetReaction().Emojis; !slices.Equal(got, []string{"❤️"}) {
		t.Errorf("Bob's reaction %q, want ❤️ as XMPP clients write it", got)
	}
	if _, err := s.React(context.Background(), sdk.Call{ChatID: "501"}, &pb.React{TargetId: "7", Emojis: []string{"❤️"}}); err != nil {
		t.Fatal(err)
	}
	if p := api.callsOf("setMessageReaction")[0].Params; p["reaction"] != `[{"type":"emoji","emoji":"❤"}]` {
		t.Errorf("setMessageReaction params %v, want ❤ without the variation selector", p)
	}
}
