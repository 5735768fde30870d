package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// A channel post signed by its author (post_author) names them after
// the channel, as bot mode does (author_signature); it named the
// channel alone. An unsigned post stays the channel's.
func TestChannelPostAuthor(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add(nil, []tg.ChatClass{news})
	ctx := context.Background()
	signed := &tg.Message{ID: 9, PeerID: &tg.PeerChannel{ChannelID: 500}, Date: 1700000000, Message: "breaking", Post: true}
	signed.SetPostAuthor("Dora")
	evs := s.messageEvents(ctx, signed, false)
	if len(evs) != 1 || evs[0].Sender.UserId != "-100500" || evs[0].Sender.Name != "News (Dora)" {
		t.Errorf("signed post %v", evs)
	}
	signed.SetEditDate(1700000100)
	signed.Message = "breaking, more"
	if evs := s.editEvents(signed); len(evs) != 1 || evs[0].Sender.Name != "News (Dora)" {
		t.Errorf("signed post's edit %v", evs)
	}
	plain := &tg.Message{ID: 10, PeerID: &tg.PeerChannel{ChannelID: 500}, Date: 1700000000, Message: "more", Post: true}
	if evs := s.messageEvents(ctx, plain, false); len(evs) != 1 || evs[0].Sender.Name != "News" {
		t.Errorf("unsigned post %v", evs)
	}
}
