package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// A forwarded message starts with whom it was forwarded from, as
// Telegram's apps show it: it read as the forwarder's own words.
func TestForwardedFrom(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}, &tg.User{ID: 1003, AccessHash: 3, FirstName: "Carol"}},
		[]tg.ChatClass{news})
	bold := []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 4}}
	for _, tc := range []struct {
		name string
		fwd  tg.MessageFwdHeader
		text string
		want string
	}{
		{"from a user", tg.MessageFwdHeader{FromID: &tg.PeerUser{UserID: 1003}}, "tea time", "Forwarded from Carol:\ntea time"},
		{"a channel's post, signed", tg.MessageFwdHeader{FromID: &tg.PeerChannel{ChannelID: 500}, PostAuthor: "Dora"}, "tea time",
			"Forwarded from News (Dora):\ntea time"},
		{"a hidden account", tg.MessageFwdHeader{FromName: "Mad Hatter"}, "tea time", "Forwarded from Mad Hatter:\ntea time"},
		{"no name at all", tg.MessageFwdHeader{}, "tea time", "Forwarded message:\ntea time"},
		{"dice", tg.MessageFwdHeader{FromID: &tg.PeerUser{UserID: 1003}}, "", "Forwarded from Carol:\nDice: 🎲 6"},
	} {
		m := &tg.Message{ID: 400, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: tc.text}
		if tc.text != "" {
			m.Entities = bold
		} else {
			m.Media = &tg.MessageMediaDice{Value: 6, Emoticon: "🎲"}
		}
		m.SetFwdFrom(tc.fwd)
		evs := s.messageEvents(context.Background(), m, false)
		if len(evs) != 1 {
			t.Fatalf("%s: events %v", tc.name, evs)
		}
		me := evs[0].GetMessage()
		if me.Text != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, me.Text, tc.want)
		}
		if tc.text != "" && (len(me.Spans) != 1 || me.Text[me.Spans[0].Start:me.Spans[0].End] != "tea ") {
			t.Errorf("%s: spans %v: want the bold on its own word still", tc.name, me.Spans)
		}
	}
	// Not forwarded: as before.
	m := &tg.Message{ID: 401, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "hello"}
	if me := s.messageEvents(context.Background(), m, false)[0].GetMessage(); me.Text != "hello" {
		t.Errorf("a message not forwarded: %q", me.Text)
	}
}
