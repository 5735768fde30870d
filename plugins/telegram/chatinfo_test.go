package telegram

import (
	"slices"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// ChatInfo says a chat's auto-delete timer (ttl_period of the full user,
// chat or channel; none is off, so the timer is known as 0) for a
// person's chat too; its pinned messages (PinnedMessages, for "/pins":
// messages.search with inputMessagesFilterPinned, never in ChatInfo
// itself) as their event IDs, oldest message first whatever the order
// they were pinned in (Telegram answers newest message first and tells
// no pin's time); a chat with no pin (no pinned_msg_id) asks no search. A forum
// topic's pins are its own, its timer the forum's.
func TestChatInfoTimerAndPins(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 740, Title: "Mine", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 760, Title: "Forum", Forum: true, Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	topicID := srv.CreateTopic(760, bob.ID, "Lunch")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the channels' access hashes
		t.Fatal(err)
	}
	info := func(chat string) *pb.Chat {
		t.Helper()
		c, err := s.ChatInfo(ctx, chat)
		if err != nil {
			t.Fatalf("ChatInfo %s: %v", chat, err)
		}
		return c
	}
	timerIs := func(chat string, want int64) {
		t.Helper()
		c := info(chat)
		if c.Timer == nil || c.Timer.Seconds != want {
			t.Errorf("%s: timer %v, want %d seconds", chat, c.Timer, want)
		}
	}

	// No timer, no pins: the timer is known off, and no search is made.
	c := info("1002")
	if c.ChatId != "1002" || c.Type != pb.ChatType_CHAT_TYPE_DIRECT || c.Name != "Bob" || c.Timer == nil || c.Timer.Seconds != 0 || len(c.PinnedIds) != 0 {
		t.Errorf("bob's chat: %v; want a direct chat named Bob, its timer off, no pins", c)
	}
	timerIs("-77", 0)
	timerIs("-100740", 0)
	if n := srv.Requests("messages.search"); n != 0 {
		t.Errorf("%d messages.search for chats with no pin", n)
	}

	toAlice := &tg.PeerUser{UserID: alice.ID}
	group := &tg.PeerChat{ChatID: 77}
	ch := &tg.PeerChannel{ChannelID: 740}
	srv.SetTTL(alice.ID, &tg.PeerUser{UserID: bob.ID}, 86400)
	srv.SetTTL(alice.ID, group, 7*86400)
	srv.SetTTL(alice.ID, ch, 2*86400)
	srv.SetTTL(alice.ID, &tg.PeerChannel{ChannelID: 760}, 3*86400)
	timerIs("1002", 86400)
	timerIs("-77", 7*86400)
	timerIs("-100740", 2*86400)
	timerIs("-100760_"+strconv.Itoa(topicID), 3*86400)

	// messages are bob's messages into chat (peer to, as bob sends), as
	// alice's event IDs, and their IDs for Pin.
	messages := func(chat string, to tg.PeerClass, n int, opts ...tgfake.MsgOpt) (evIDs []string, ids []int) {
		t.Helper()
		for i := range n {
			text := chat + " message " + strconv.Itoa(i)
			from := h.count()
			ids = append(ids, srv.Send(bob.ID, to, text, opts...))
			evIDs = append(evIDs, h.wait(t, from, text, isMessage(chat, text)).EventId)
		}
		return evIDs, ids
	}
	pinsAre := func(chat string, want ...string) {
		t.Helper()
		got, err := s.PinnedMessages(ctx, chat)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: pinned %q (%v), want %q", chat, got, err, want)
		}
	}
	// In a person's chat: the first and the last of three pinned.
	ev, ids := messages("1002", toAlice, 3)
	srv.Pin(bob.ID, toAlice, ids[0], false)
	srv.Pin(bob.ID, toAlice, ids[2], false)
	pinsAre("1002", ev[0], ev[2])
	srv.Pin(bob.ID, toAlice, ids[0], true)
	pinsAre("1002", ev[2])
	// In a group, and in a supergroup (its message IDs its own).
	ev, ids = messages("-77", group, 2)
	srv.Pin(carol.ID, group, ids[0], false)
	srv.Pin(carol.ID, group, ids[1], false)
	pinsAre("-77", ev[0], ev[1])
	ev, ids = messages("-100740", ch, 2)
	srv.Pin(bob.ID, ch, ids[1], false)
	srv.Pin(bob.ID, ch, ids[0], false)
	pinsAre("-100740", ev[0], ev[1])
	// A forum: the topic's pins in its room, all in the forum's.
	fp := &tg.PeerChannel{ChannelID: 760}
	topic := "-100760_" + strconv.Itoa(topicID)
	gev, gids := messages("-100760", fp, 1)
	tev, tids := messages(topic, fp, 1, tgfake.WithTopic(topicID))
	srv.Pin(bob.ID, fp, gids[0], false)
	srv.Pin(bob.ID, fp, tids[0], false)
	pinsAre(topic, tev[0])
	pinsAre("-100760", gev[0], tev[0])

	// ChatInfo itself searches for none: the gateway asks it of every
	// group at each connect.
	searched := srv.Requests("messages.search")
	if c := info("-100740"); len(c.PinnedIds) != 0 || srv.Requests("messages.search") != searched {
		t.Errorf("ChatInfo searched for pins: %v, %d searches more", c.PinnedIds, srv.Requests("messages.search")-searched)
	}
}

// TestPinsPaged: a chat with more pins than one messages.search answers
// (Telegram's at most 100, the fake's too) lists them all, oldest message
// first, through as many pages as it takes (offset_id), in a channel
// (messages.channelMessages with its count) and a basic group
// (messages.messagesSlice). One page of 50, as before, left 70 out.
func TestPinsPaged(t *testing.T) {
	const n = 120
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 740, Title: "Mine", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the channel's access hash
		t.Fatal(err)
	}
	ch, group := &tg.PeerChannel{ChannelID: 740}, &tg.PeerChat{ChatID: 77}
	var chWant, groupWant []string
	for i := range n {
		id := srv.Send(bob.ID, ch, "pinned "+strconv.Itoa(i))
		srv.Pin(bob.ID, ch, id, false)
		chWant = append(chWant, strconv.Itoa(id))
		gid := srv.Send(bob.ID, group, "pinned "+strconv.Itoa(i))
		srv.Pin(bob.ID, group, gid, false)
		groupWant = append(groupWant, strconv.Itoa(srv.ID(gid, alice.ID)))
	}
	for chat, want := range map[string][]string{"-100740": chWant, "-77": groupWant} {
		before := srv.Requests("messages.search")
		got, err := s.PinnedMessages(ctx, chat)
		if err != nil {
			t.Fatalf("pins of %s: %v", chat, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("pins of %s: %d of them %v\nwant %d: %v", chat, len(got), got, len(want), want)
		}
		if searches := srv.Requests("messages.search") - before; searches > 3 {
			t.Errorf("pins of %s: %d searches for %d pins", chat, searches, n)
		}
	}
}
