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

// A custom emoji reaction reads as the emoji its sticker stands for
// (getCustomEmojiStickers' emoji), asked once and kept; while Telegram
// does not tell, as ⭐. It read as no reaction at all, taking back the
// person's earlier one.
func TestCustomEmojiReaction(t *testing.T) {
	api := newFakeAPI(t)
	api.setCustomEmoji("5001", "🎉")
	react := func(emojiJSON string) {
		api.push(fmt.Sprintf(`{"message_reaction":{"chat":{"id":%d,"type":"supergroup","title":"Test group"},"message_id":1001,
		"user":{"id":601,"is_bot":false,"first_name":"Bob"},"date":1700000400,"old_reaction":[],
		"new_reaction":[%s]}}`, groupID, emojiJSON))
	}
	h := newFakeHost()
	api.setRefuse("getCustomEmojiStickers", "500", "Internal Server Error")
	react(`{"type":"custom_emoji","custom_emoji_id":"5001"}`)
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	next := 0
	bobs := func(what string) []string {
		t.Helper()
		i := h.waitFor(t, next, what, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
		next = i + 1
		return h.events()[i].GetReaction().Emojis
	}
	if got := bobs("Bob's reaction, Telegram failing"); !slices.Equal(got, []string{"⭐"}) {
		t.Errorf("Bob's custom emoji reaction while Telegram fails: %q, want ⭐", got)
	}
	api.setRefuse("getCustomEmojiStickers", "", "")
	react(`{"type":"custom_emoji","custom_emoji_id":"5001"},{"type":"emoji","emoji":"❤"}`)
	if got := bobs("Bob's reactions"); !slices.Equal(got, []string{"🎉", "❤️"}) {
		t.Errorf("Bob's reactions %q, want 🎉 (the custom emoji's alt) and ❤️", got)
	}
	asked := len(api.callsOf("getCustomEmojiStickers"))
	react(`{"type":"custom_emoji","custom_emoji_id":"5001"}`)
	if got := bobs("Bob's reaction again"); !slices.Equal(got, []string{"🎉"}) {
		t.Errorf("Bob's reaction %q, want 🎉", got)
	}
	if n := len(api.callsOf("getCustomEmojiStickers")); n != asked {
		t.Errorf("the alt known was asked again: %d questions, want %d", n, asked)
	}
	react(`{"type":"custom_emoji","custom_emoji_id":"5002"}`)
	if got := bobs("Bob's unknown custom emoji"); !slices.Equal(got, []string{"⭐"}) {
		t.Errorf("a custom emoji Telegram does not know: %q, want ⭐", got)
	}
}
