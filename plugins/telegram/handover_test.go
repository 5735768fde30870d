package telegram

import (
	"maps"
	"testing"

	"github.com/gotd/td/tg"
)

// The pts an own send's answer moves each sequence to, the highest kept:
// a channel's by its ID, the common one's (a private chat's message, a
// short answer) as 0; an update without pts moves none.
func TestHandedPtsNoted(t *testing.T) {
	var h handedPts
	h.note(&tg.Updates{Updates: []tg.UpdateClass{
		&tg.UpdateMessageID{ID: 5, RandomID: 9},
		&tg.UpdateNewChannelMessage{Message: &tg.Message{ID: 5, PeerID: &tg.PeerChannel{ChannelID: 600}}, Pts: 7, PtsCount: 1},
	}})
	h.note(&tg.Updates{Updates: []tg.UpdateClass{
		&tg.UpdateNewChannelMessage{Message: &tg.Message{ID: 4, PeerID: &tg.PeerChannel{ChannelID: 600}}, Pts: 6, PtsCount: 1},
		&tg.UpdateNewMessage{Message: &tg.Message{ID: 3, PeerID: &tg.PeerUser{UserID: 1002}}, Pts: 11, PtsCount: 1},
	}})
	h.note(&tg.UpdateShortSentMessage{ID: 4, Pts: 12, PtsCount: 1})
	want := map[int64]int{600: 7, 0: 12}
	if got := h.take(); !maps.Equal(got, want) {
		t.Errorf("handed %v, want %v", got, want)
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("handed again %v, want none (taken)", got)
	}
}
