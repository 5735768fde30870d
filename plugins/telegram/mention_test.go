package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// An @username in a received message is a mention of the user who has
// that username (whatever its capitals), as a mention by name is; one
// no one known has stays text.
func TestUsernameMentionIn(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	from := h.count()
	text := "😀 @BOB, @alice: ask @nobody"
	srv.Send(carol.ID, &tg.PeerChat{ChatID: 77}, text, tgfake.WithEntities(
		&tg.MessageEntityMention{Offset: 3, Length: 4},
		&tg.MessageEntityMention{Offset: 9, Length: 6},
		&tg.MessageEntityMention{Offset: 21, Length: 7},
	))
	ev := h.wait(t, from, "carol's message", isMessage("-77", "ask"))
	want := []*pb.Span{
		{Start: 5, End: 9, Style: pb.Span_STYLE_MENTION, UserId: "1002"},
		{Start: 11, End: 17, Style: pb.Span_STYLE_MENTION, UserId: "1001"},
	}
	got := ev.GetMessage().GetSpans()
	if len(got) != len(want) {
		t.Fatalf("spans %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("span %d: %v, want %v", i, got[i], want[i])
		}
	}
}
