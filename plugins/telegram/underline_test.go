package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The contract has no underline (nor has XEP-0393): Telegram's
// underline reads as plain text, its words kept, as a hashtag's or a
// bot command's do; the styles around or inside it stay.
func TestUnderlineAsText(t *testing.T) {
	text := "read the small print now"
	ents := []tg.MessageEntityClass{
		&tg.MessageEntityUnderline{Offset: 5, Length: 14},
		&tg.MessageEntityBold{Offset: 9, Length: 5},
		&tg.MessageEntityHashtag{Offset: 20, Length: 3},
	}
	got := spansOf(text, ents, nil)
	if len(got) != 1 || got[0].Style != pb.Span_STYLE_BOLD || text[got[0].Start:got[0].End] != "small" {
		t.Errorf("spans %v, want bold on %q alone", got, "small")
	}
}
