package telegram

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// On the fake Telegram: the user's message in a basic group and in a
// supergroup, read by Bob, is a read receipt from him
// (messages.getMessageReadParticipants, as Telegram's read update names
// no reader); Carol reading it too is not told (Telegram's update says
// how far the user's messages were read, which has not changed), but
// her reading the user's next message is her receipt for that one; in a
// broadcast channel no one is asked. Who read a group was never said.
func TestGroupReadReceipts(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 810, Title: "Club", Members: []int64{alice.ID, bob.ID, carol.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		chat string
		peer tg.PeerClass
	}{{"-77", &tg.PeerChat{ChatID: 77}}, {"-100810", &tg.PeerChannel{ChannelID: 810}}} {
		// send is the user's message and what a member reads it as (the
		// channel's message ID; a basic group's gid).
		send := func(text string) (string, int) {
			res, err := s.SendMessage(ctx, sdk.Call{ChatID: c.chat}, &pb.SendMessage{Text: text})
			if err != nil {
				t.Fatal(err)
			}
			id, _ := strconv.Atoi(res.MessageID)
			if _, ok := c.peer.(*tg.PeerChat); ok {
				id = srv.GID(alice.ID, id)
			}
			return res.MessageID, id
		}
		receipts := func() []string {
			var out []string
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, ev := range h.events {
				if r := ev.GetReceipt(); r != nil && ev.ChatId == c.chat {
					out = append(out, ev.Sender.GetUserId()+" read "+strings.Join(r.MessageIds, ","))
				}
			}
			return out
		}
		first, read := send("who reads this?")
		from := h.count()
		srv.ReadGroup(bob.ID, c.peer, read)
		h.wait(t, from, "bob's receipt in "+c.chat, func(ev *pb.Event) bool { return ev.GetReceipt() != nil && ev.ChatId == c.chat })
		srv.ReadGroup(carol.ID, c.peer, read)
		second, read := send("and this?")
		from = h.count()
		srv.ReadGroup(carol.ID, c.peer, read)
		h.wait(t, from, "carol's receipt in "+c.chat, func(ev *pb.Event) bool {
			return ev.GetReceipt() != nil && ev.ChatId == c.chat && ev.Sender.GetUserId() == "1003"
		})
		if got, want := receipts(), []string{"1002 read " + first, "1003 read " + second}; !slices.Equal(got, want) {
			t.Errorf("receipts in %s: %q, want %q", c.chat, got, want)
		}
	}
}

// A reader is said once for how far they read a chat: not again for the
// same message or an older one (an update told twice, a getDifference
// replaying it), again for a newer one; past groupReadChats chats, all
// are forgotten.
func TestGroupReadCache(t *testing.T) {
	var c groupReadCache
	for _, step := range []struct {
		chat   string
		reader int64
		msg    int
		news   bool
	}{
		{"-77", 1002, 10, true}, {"-77", 1002, 10, false}, {"-77", 1002, 9, false},
		{"-77", 1003, 10, true}, {"-78", 1002, 10, true}, {"-77", 1002, 11, true},
	} {
		if got := c.advance(step.chat, step.reader, step.msg); got != step.news {
			t.Errorf("advance(%s, %d, %d) = %v, want %v", step.chat, step.reader, step.msg, got, step.news)
		}
	}
	for i := range groupReadChats {
		c.advance(strconv.Itoa(i), 1002, 1)
	}
	if !c.advance("-77", 1002, 11) {
		t.Error("past groupReadChats chats, a reader of a forgotten chat is not said again")
	}
}

// Telegram refusing to say who read a group's message: the receipts are
// lost, which a refusal Telegram gives by design (CHAT_TOO_BIG,
// MSG_TOO_OLD: a large group, an old message) leaves unsaid, and any
// other (FLOOD_WAIT, a failure of Telegram's) says in the log at Warn.
// All were said at Debug alone, a flood or an outage of the receipts
// unseen.
func TestGroupReadersRefused(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		code      int
		err, name string // the RPC error, and its name as logged
		warn      bool
		// CHAT_TOO_BIG last: the group is not asked again for a while
		// after it (TestGroupReadersTooBigRemembered).
	}{{420, "FLOOD_WAIT_30", "FLOOD_WAIT", true}, {400, "MSG_TOO_OLD", "MSG_TOO_OLD", false}, {400, "CHAT_TOO_BIG", "CHAT_TOO_BIG", false}} {
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: "-77"}, &pb.SendMessage{Text: "read? " + c.err})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.Atoi(res.MessageID)
		srv.FailRequestCode("messages.getMessageReadParticipants", 0, c.code, c.err)
		mine, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: "and you? " + c.err})
		if err != nil {
			t.Fatal(err)
		}
		private, _ := strconv.Atoi(mine.MessageID)
		from := h.count()
		srv.ReadGroup(bob.ID, &tg.PeerChat{ChatID: 77}, srv.GID(alice.ID, id))
		// The refusal is done with once Bob's next read is: both read
		// updates are in one sequence, handled in turn. (A message after
		// the read was no such mark: a catch-up, getDifference, gives the
		// new messages before the other updates.)
		srv.Read(bob.ID, srv.GID(alice.ID, private))
		h.wait(t, from, "bob's receipt in his private chat", func(ev *pb.Event) bool {
			return ev.ChatId == "1002" && slices.Equal(ev.GetReceipt().GetMessageIds(), []string{mine.MessageID})
		})
		if logged := strings.Contains(h.logs.String(), c.name); logged != c.warn {
			t.Errorf("%s: logged %v, want %v: %s", c.err, logged, c.warn, h.logs.String())
		}
	}
	if !strings.Contains(h.logs.String(), "level=WARN") {
		t.Errorf("FLOOD_WAIT said at no Warn: %s", h.logs.String())
	}
}

// On the fake Telegram: a group of more than 100 members, where
// Telegram does not say who read a message (CHAT_TOO_BIG), is asked
// once: the next read there asks nothing, while a small group is still
// asked. Each read of a large group asked Telegram again in vain. (Basic
// groups: their read updates are in one sequence, handled in turn, so
// the large group's second read is done with once the small group's
// receipt comes. A message after a read was no such mark: a catch-up,
// getDifference, gives the new messages before the other updates.)
func TestGroupReadersTooBigRemembered(t *testing.T) {
	srv := newFake(t)
	members := []int64{alice.ID, bob.ID, carol.ID}
	for i := range 98 {
		members = append(members, 5000+int64(i))
	}
	srv.AddGroup(tgfake.Group{ID: 79, Title: "Crowd", Members: members, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	const asked = "messages.getMessageReadParticipants"
	crowd := &tg.PeerChat{ChatID: 79}
	send := func(chat, text string) int {
		t.Helper()
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: chat}, &pb.SendMessage{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.Atoi(res.MessageID)
		return id
	}
	first, second, small := send("-79", "first"), send("-79", "second"), send("-77", "small")
	srv.ReadGroup(bob.ID, crowd, srv.GID(alice.ID, first))
	if err := srv.AwaitRequests(ctx, asked, 1); err != nil {
		t.Fatalf("after read 1 of the large group: %v", err)
	}
	from := h.count()
	srv.ReadGroup(bob.ID, crowd, srv.GID(alice.ID, second))
	srv.ReadGroup(bob.ID, &tg.PeerChat{ChatID: 77}, srv.GID(alice.ID, small))
	h.wait(t, from, "bob's receipt in the small group", func(ev *pb.Event) bool { return ev.GetReceipt() != nil && ev.ChatId == "-77" })
	if n := srv.Requests(asked); n != 2 {
		t.Errorf("after two reads of the large group and one of the small: %s asked %d times, want twice (once each group)", asked, n)
	}
}

// A group found too big is not asked about for tooBigFor, then is again
// (it may have shrunk); another group is asked meanwhile.
func TestGroupReadTooBigExpires(t *testing.T) {
	var c groupReadCache
	now := time.Unix(1700000000, 0)
	c.setTooBig("-79", now.Add(tooBigFor))
	if !c.tooBigNow("-79", now.Add(tooBigFor-time.Second)) {
		t.Error("a group found too big is asked again before tooBigFor")
	}
	if c.tooBigNow("-77", now) {
		t.Error("another group is not asked")
	}
	if c.tooBigNow("-79", now.Add(tooBigFor)) {
		t.Error("a group found too big is never asked again")
	}
}
