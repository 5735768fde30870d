package telegram

import (
	"slices"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// On the fake Telegram: the user's message in a basic group and in a
// supergroup, read by Bob then Carol, is a read receipt from each
// (messages.getMessageReadParticipants, as Telegram's read update names
// no reader), Bob's not said again when Carol reads it; in a broadcast
// channel no one is asked. Who read a group was never said.
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
		res, err := s.SendMessage(ctx, sdk.Call{ChatID: c.chat}, &pb.SendMessage{Text: "who reads this?"})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.Atoi(res.MessageID)
		read := id // the channel's message ID; a basic group's gid
		if _, ok := c.peer.(*tg.PeerChat); ok {
			read = srv.GID(alice.ID, id)
		}
		readers := func() []string {
			var out []string
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, ev := range h.events {
				if r := ev.GetReceipt(); r != nil && ev.ChatId == c.chat && slices.Contains(r.MessageIds, res.MessageID) {
					out = append(out, ev.Sender.GetUserId())
				}
			}
			return out
		}
		from := h.count()
		srv.ReadGroup(bob.ID, c.peer, read)
		h.wait(t, from, "bob's receipt in "+c.chat, func(ev *pb.Event) bool { return ev.GetReceipt() != nil && ev.ChatId == c.chat })
		from = h.count()
		srv.ReadGroup(carol.ID, c.peer, read)
		h.wait(t, from, "carol's receipt in "+c.chat, func(ev *pb.Event) bool {
			return ev.GetReceipt() != nil && ev.ChatId == c.chat && ev.Sender.GetUserId() == "1003"
		})
		if got := readers(); !slices.Equal(got, []string{"1002", "1003"}) {
			t.Errorf("receipts of %s's message: from %q, want bob then carol, once each", c.chat, got)
		}
	}
}
