package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// On the fake Telegram, whose messages.editChatTitle and
// channels.editTitle post the service message as Telegram does: a basic
// group and a supergroup renamed from XMPP are renamed on Telegram, the
// room renamed and the notice said once, as the user's ("You changed the
// group name to ..."), the other members getting it from her; renamed on
// Telegram by Bob, the room is renamed and the notice is his; renamed
// from XMPP to the name it has, nothing fails. The rename from XMPP had
// no test (the fake answered it with nothing), and the name it had was
// the error CHAT_NOT_MODIFIED.
func TestRenameBothWays(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 810, Title: "Club", Members: []int64{alice.ID, bob.ID, carol.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	renamed := func(chat, name string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { c := ev.GetChat().GetChat(); return c.GetChatId() == chat && c.Name == name }
	}
	notices := func(chat, text string) []*pb.Event {
		h.mu.Lock()
		defer h.mu.Unlock()
		var out []*pb.Event
		for _, ev := range h.events {
			if ev.ChatId == chat && ev.GetMessage().GetText() == text {
				out = append(out, ev)
			}
		}
		return out
	}
	title := func(chat string) string {
		if chat == "-77" {
			return srv.GroupInfo(77).Title
		}
		return srv.ChannelInfo(810).Title
	}
	for _, c := range []struct {
		chat string
		peer tg.PeerClass
		bobs func(string)
	}{
		{"-77", &tg.PeerChat{ChatID: 77}, func(name string) { srv.RenameGroup(77, bob.ID, name) }},
		{"-100810", &tg.PeerChannel{ChannelID: 810}, func(name string) { srv.RenameChannel(810, bob.ID, name) }},
	} {
		// From XMPP.
		from := h.count()
		if err := s.SetChatName(ctx, sdk.Call{ChatID: c.chat}, "Tea time"); err != nil {
			t.Fatalf("renaming %s: %v", c.chat, err)
		}
		if got := title(c.chat); got != "Tea time" {
			t.Errorf("%s on Telegram: %q, want Tea time", c.chat, got)
		}
		h.wait(t, from, c.chat+"'s room renamed", renamed(c.chat, "Tea time"))
		want := "You changed the group name to «Tea time»"
		ev := h.wait(t, from, "the user's rename notice in "+c.chat, isMessage(c.chat, want))
		if !ev.Sender.GetIsFromMe() {
			t.Errorf("the rename notice in %s: %v, want the user's", c.chat, ev)
		}
		// Bob's next message, after the rename in his stream: the
		// notice came once by then.
		from = h.count()
		srv.Send(bob.ID, c.peer, "nice name "+c.chat)
		h.wait(t, from, "bob's message", isMessage(c.chat, "nice name "+c.chat))
		if n := len(notices(c.chat, want)); n != 1 {
			t.Errorf("the user's rename notice in %s came %d times, want once", c.chat, n)
		}

		// From Telegram.
		from = h.count()
		c.bobs("Coffee time")
		h.wait(t, from, c.chat+"'s room renamed by bob", renamed(c.chat, "Coffee time"))
		ev = h.wait(t, from, "bob's rename notice in "+c.chat, isMessage(c.chat, "Changed the group name to «Coffee time»"))
		if ev.Sender.GetUserId() != "1002" || ev.Sender.GetIsFromMe() {
			t.Errorf("bob's rename notice in %s: %v, want bob's", c.chat, ev.Sender)
		}

		// The name it has (the room's name as the client last saw it,
		// stale): Telegram's CHAT_NOT_MODIFIED, which is no failure.
		if err := s.SetChatName(ctx, sdk.Call{ChatID: c.chat}, "Coffee time"); err != nil {
			t.Errorf("renaming %s to the name it has: %v, want done", c.chat, err)
		}

		// The description (the room's subject), then the one it has
		// (an XMPP client setting the subject again): Telegram's
		// CHAT_ABOUT_NOT_MODIFIED, no failure either; it was the
		// error's name.
		about := func() string {
			if c.chat == "-77" {
				return srv.GroupInfo(77).About
			}
			return srv.ChannelInfo(810).About
		}
		for i := range 2 {
			if err := s.SetTopic(ctx, sdk.Call{ChatID: c.chat}, "Tea and talk"); err != nil {
				t.Errorf("setting %s's description (time %d): %v, want done", c.chat, i+1, err)
			}
		}
		if got := about(); got != "Tea and talk" {
			t.Errorf("%s's description on Telegram: %q", c.chat, got)
		}
	}
}
