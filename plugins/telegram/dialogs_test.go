package telegram

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A user in 250 groups and channels (more than two pages of
// messages.getDialogs, Telegram's most being 100 a page) and in private
// chats reached only on the last page sees every chat listed once, and
// every person of those chats in the contact list. The pages follow
// each other by the last dialog's top message (offset_date, offset_id,
// offset_peer), which tgfake honours as Telegram does: many top messages
// share a date, and some groups have none. A FLOOD_WAIT on a later page
// is waited out, not the listing's error.
func TestChatListAllDialogs(t *testing.T) {
	srv := newFake(t) // group 77, with no message
	base := int(time.Now().Unix()) - 100000
	want := []string{"-77"}
	date := func(i int) tgfake.MsgOpt { return tgfake.WithDate(base + (i*37%250)/4) } // 4 by 4 alike
	for i := range 150 {
		id := int64(5000 + i)
		srv.AddChannel(tgfake.Channel{ID: id, Title: fmt.Sprintf("Channel %d", i), Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, Broadcast: i%2 == 0})
		want = append(want, "-100"+strconv.FormatInt(id, 10))
		if i%10 != 9 {
			srv.Send(bob.ID, &tg.PeerChannel{ChannelID: id}, "hello", date(i))
		}
	}
	for i := range 99 {
		id := int64(8000 + i)
		srv.AddGroup(tgfake.Group{ID: id, Title: fmt.Sprintf("Group %d", i), Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
		want = append(want, "-"+strconv.FormatInt(id, 10))
		if i%10 != 9 { // some groups have no message: they come last
			srv.Send(bob.ID, &tg.PeerChat{ChatID: id}, "hello", date(150+i))
		}
	}
	var people []string
	for i := range 30 { // the oldest chats
		u := tgfake.User{ID: int64(20000 + i), FirstName: fmt.Sprintf("Person %d", i), Phone: fmt.Sprintf("3361%07d", i)}
		srv.AddUser(u)
		srv.Send(u.ID, &tg.PeerUser{UserID: alice.ID}, "hi", tgfake.WithDate(base-1000+i/3))
		people = append(people, strconv.FormatInt(u.ID, 10))
	}
	s, _, _, _ := connectAlice(t, srv)

	srv.FailRequestCode("messages.getDialogs", 1, 420, "FLOOD_WAIT_1")
	from := srv.Requests("messages.getDialogs")
	chats, err := s.ChatList(ctxT(t))
	if err != nil {
		t.Fatalf("ChatList: %v", err)
	}
	if n := srv.Requests("messages.getDialogs") - from; n < 4 {
		t.Errorf("%d messages.getDialogs for 280 dialogs and a flood wait; want 3 pages and the one asked again", n)
	}
	var got []string
	seen := map[string]bool{}
	for _, c := range chats {
		if seen[c.ChatId] {
			t.Errorf("chat %s listed twice", c.ChatId)
		}
		seen[c.ChatId] = true
		got = append(got, c.ChatId)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		var missing []string
		for _, id := range want {
			if !seen[id] {
				missing = append(missing, id)
			}
		}
		t.Errorf("%d chats listed, want %d; missing %v", len(got), len(want), missing)
	}

	ids := listedIDs(t, s)
	for _, id := range people {
		if !slices.Contains(ids, id) {
			t.Errorf("person %s of a private chat on the last page not in the contact list", id)
		}
	}
}
