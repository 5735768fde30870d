package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// A reply to a message of another chat (Telegram's "reply in another
// chat": reply_to_peer_id) is no reply here: its ID is that chat's, and
// named another message of this one (a channel's post 50 read as the
// group's message 50).
func TestReplyToAnotherChat(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, []tg.ChatClass{news})
	for _, tc := range []struct {
		name string
		peer tg.PeerClass
		want string
	}{
		{"another chat's message", &tg.PeerChannel{ChannelID: 500}, ""},
		{"this chat named", &tg.PeerUser{UserID: 1002}, "50"},
		{"no chat named", nil, "50"},
	} {
		r := &tg.MessageReplyHeader{ReplyToMsgID: 50}
		if tc.peer != nil {
			r.SetReplyToPeerID(tc.peer)
		}
		m := &tg.Message{ID: 600, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "look", ReplyTo: r}
		evs := s.messageEvents(context.Background(), m, false)
		if len(evs) != 1 || evs[0].GetMessage().GetReplyToId() != tc.want {
			t.Errorf("%s: %v, want reply to %q", tc.name, evs, tc.want)
		}
	}
}
