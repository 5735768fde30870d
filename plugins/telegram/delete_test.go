package telegram

import (
	"slices"
	"testing"

	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// isDeleted matches the end of chat's room by its deletion.
func isDeleted(chat string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		return ev.ChatId == chat && ev.GetChatRemoved().GetReason() == pb.ChatRemovedEvent_REASON_DELETED
	}
}

// Deleting a group from XMPP (an owner's destroy) on the fake Telegram:
// the creator's supergroup goes with channels.deleteChannel, their basic
// group with messages.deleteChat, each said once as deleted; Telegram's
// later news of the deleted supergroup (updateChannel: the channel asked
// anew, no longer the user's) ends nothing more, where it ended the room
// again as left. Another's group is refused not-allowed naming the
// creator, and stays; a private chat is no group.
func TestDeleteChatLive(t *testing.T) {
	srv := newFake(t) // the basic group 77, alice its creator
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Doomed", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 640, Title: "Theirs", Members: []int64{alice.ID, bob.ID}, Admins: []int64{alice.ID}, Creator: bob.ID})
	srv.AddGroup(tgfake.Group{ID: 78, Title: "Bob's", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the rooms, as the gateway makes them
		t.Fatal(err)
	}

	from := h.count()
	if err := s.DeleteChat(ctx, sdk.Call{ChatID: "-100630"}, &pb.DeleteChat{Reason: "done"}); err != nil {
		t.Fatalf("delete the supergroup: %v", err)
	}
	if c := srv.ChannelInfo(630); len(c.Members) != 0 {
		t.Errorf("the supergroup after its deletion: members %v", c.Members)
	}
	h.wait(t, from, "the supergroup deleted", isDeleted("-100630"))
	// What Telegram says of it next (its updateChannel, a refused
	// difference) asks for it anew: nothing more to end.
	if evs := s.channelEvents(ctx, 630); len(evs) != 0 {
		t.Errorf("the deleted supergroup's updateChannel: %v, want nothing", evs)
	}

	if err := s.DeleteChat(ctx, sdk.Call{ChatID: "-77"}, &pb.DeleteChat{}); err != nil {
		t.Fatalf("delete the basic group: %v", err)
	}
	if g := srv.GroupInfo(77); len(g.Members) != 0 {
		t.Errorf("the basic group after its deletion: members %v", g.Members)
	}
	h.wait(t, from, "the basic group deleted", isDeleted("-77"))
	if n := srv.Requests("messages.deleteChat"); n != 1 {
		t.Errorf("%d messages.deleteChat, want 1", n)
	}

	wantCode(t, "delete another's supergroup", s.DeleteChat(ctx, sdk.Call{ChatID: "-100640"}, &pb.DeleteChat{}), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "creator", "CHAT_ADMIN_REQUIRED")
	wantCode(t, "delete another's basic group", s.DeleteChat(ctx, sdk.Call{ChatID: "-78"}, &pb.DeleteChat{}), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "creator", "CHAT_ADMIN_REQUIRED")
	if c := srv.ChannelInfo(640); !slices.Contains(c.Members, alice.ID) {
		t.Errorf("another's supergroup changed: members %v", c.Members)
	}
	if g := srv.GroupInfo(78); !slices.Contains(g.Members, alice.ID) {
		t.Errorf("another's basic group changed: members %v", g.Members)
	}
	if s.deleted.has("-100640") || s.deleted.has("-78") {
		t.Error("a group not deleted is kept as deleted: its news would be lost")
	}
	wantCode(t, "delete a private chat", s.DeleteChat(ctx, sdk.Call{ChatID: "1002"}, &pb.DeleteChat{}), pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "private chat")
	wantCode(t, "a channel too large", deleteErr(tgerr.New(406, "CHANNEL_TOO_LARGE")), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "1,000 members")

	// Said once each, by the deletion; nothing else ended either room.
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, chat := range []string{"-100630", "-77"} {
		ends := 0
		for _, ev := range h.events[from:] {
			if ev.ChatId == chat && ev.GetChatRemoved() != nil {
				ends++
			}
		}
		if ends != 1 {
			t.Errorf("%s ended %d times, want once", chat, ends)
		}
	}
}

// The groups deleted from here are kept in the login's folder: after a
// restart, Telegram's news of a deleted supergroup (its updateChannel,
// its catch-up refused) still ends nothing more. They were kept in
// memory only, so the restarted session ended the room again as banned.
func TestDeleteChatAcrossRestart(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 630, Title: "Doomed", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	s, h, info, n := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	from := h.count()
	if err := s.DeleteChat(ctx, sdk.Call{ChatID: "-100630"}, &pb.DeleteChat{}); err != nil {
		t.Fatalf("delete the supergroup: %v", err)
	}
	h.wait(t, from, "the supergroup deleted", isDeleted("-100630"))
	if err := s.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	s2 := connect(t, n, h, info)
	if evs := s2.channelEvents(ctx, 630); len(evs) != 0 {
		t.Errorf("the deleted supergroup's updateChannel after a restart: %v, want nothing", evs)
	}
	if n := countOf(h, from, func(ev *pb.Event) bool { return ev.ChatId == "-100630" && ev.GetChatRemoved() != nil }); n != 1 {
		t.Errorf("the supergroup ended %d times, want once", n)
	}
}
