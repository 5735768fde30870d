package telegram

import (
	"context"
	"slices"
	"testing"

	"github.com/gotd/td/tg"
)

// A group read on the phone up to a service message that is no message
// on XMPP (a member's join, which the gateway shows as a presence) marks
// the room read up to the newest message shown before it: the receipt
// named the join's ID, which the gateway's archive does not have, so
// the user's clients stayed unread. A read up to a message shown, or in
// a chat with nothing shown since the start, names the ID as Telegram
// gives it.
func TestOwnReadUpToServiceMessage(t *testing.T) {
	s, _ := unitSession(t)
	sg := &tg.Channel{ID: 900, AccessHash: 9, Title: "SG", Megagroup: true, Photo: &tg.ChatPhotoEmpty{}}
	s.peers.add([]tg.UserClass{&tg.User{ID: 1003, FirstName: "Carol"}, &tg.User{ID: 1004, FirstName: "Dan"}},
		[]tg.ChatClass{&tg.Chat{ID: 77, Title: "W", Photo: &tg.ChatPhotoEmpty{}}, sg})
	h := s.n.host.(*testHost)
	ctx := context.Background()
	read := func(u tg.UpdateClass) []string {
		t.Helper()
		from := h.count()
		if err := s.handle(ctx, &tg.Updates{Updates: []tg.UpdateClass{u}}); err != nil {
			t.Fatal(err)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		var ids []string
		for _, ev := range h.events[from:] {
			if r := ev.GetReceipt(); r != nil && ev.Sender.GetIsFromMe() {
				ids = append(ids, ev.ChatId+":"+r.MessageIds[0])
			}
		}
		return ids
	}
	join := func(id int, peer tg.PeerClass) *tg.MessageService {
		return &tg.MessageService{ID: id, PeerID: peer, FromID: &tg.PeerUser{UserID: 1004}, Date: 1700000001,
			Action: &tg.MessageActionChatAddUser{Users: []int64{1004}}}
	}
	group, channel := &tg.PeerChat{ChatID: 77}, &tg.PeerChannel{ChannelID: 900}
	if err := s.handle(ctx, &tg.Updates{Updates: []tg.UpdateClass{
		&tg.UpdateNewMessage{Message: &tg.Message{ID: 50, PeerID: group, FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000000, Message: "hi"}},
		&tg.UpdateNewMessage{Message: join(51, group)},
		&tg.UpdateNewChannelMessage{Message: &tg.Message{ID: 70, PeerID: channel, FromID: &tg.PeerUser{UserID: 1003}, Date: 1700000000, Message: "yo"}},
		&tg.UpdateNewChannelMessage{Message: join(71, channel)},
	}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u    tg.UpdateClass
		want string
	}{
		{&tg.UpdateReadHistoryInbox{Peer: group, MaxID: 51}, "-77:50"},
		{&tg.UpdateReadHistoryInbox{Peer: group, MaxID: 50}, "-77:50"},
		{&tg.UpdateReadChannelInbox{ChannelID: 900, MaxID: 71}, "-100900:70"},
		{&tg.UpdateReadHistoryInbox{Peer: &tg.PeerUser{UserID: 1003}, MaxID: 9}, "1003:9"},
	} {
		if got := read(c.u); !slices.Equal(got, []string{c.want}) {
			t.Errorf("%T up to %v: receipts %v, want %s", c.u, c.u, got, c.want)
		}
	}
}
