package telegram

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// On the fake Telegram: a group renamed, a supergroup's picture changed
// or removed, a forum's topic closed and reopened each come as a line
// from whoever did it, as Telegram's apps show them ("Bob changed the
// group name to «Tea time»"), after the room's own change; a closed
// topic's room is read-only for a member who is no admin, and writable
// again once reopened. The history brings the line under the live
// event's ID, so the gateway shows it once. The lines were missing: the
// room changed with no word of who changed it.
func TestGroupChangeNotices(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 800, Title: "Forum", Forum: true, Members: []int64{alice.ID, bob.ID, carol.ID}, Admins: []int64{carol.ID}, Creator: bob.ID})
	rules := srv.CreateTopic(800, bob.ID, "Rules")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	notice := func(chat, want string) *pb.Event {
		t.Helper()
		ev := h.wait(t, 0, want, isMessage(chat, want))
		if got := ev.GetMessage().GetText(); got != want || ev.Sender.GetUserId() != "1002" {
			t.Errorf("in %s: %q from %s, want %q from bob", chat, got, ev.Sender.GetUserId(), want)
		}
		return ev
	}

	from := h.count()
	srv.RenameGroup(77, bob.ID, "Tea time")
	renamed := notice("-77", "Changed the group name to «Tea time»")
	if ev := h.wait(t, from, "the room renamed", func(ev *pb.Event) bool { return ev.GetChat().GetChat().GetChatId() == "-77" }); ev.GetChat().Chat.Name != "Tea time" {
		t.Errorf("room after the rename: %v", ev.GetChat().Chat)
	}

	srv.SetChannelPhoto(800, bob.ID, bytes.Repeat([]byte{0xff, 0xd8, 7, 8}, 500))
	notice("-100800", "Changed the group photo")
	srv.SetChannelPhoto(800, bob.ID, nil)
	notice("-100800", "Removed the group photo")

	topic := topicChatID("-100800", rules)
	isTopicRoom := func(readOnly bool) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return c.GetChatId() == topic && c.ReadOnly == readOnly
		}
	}
	from = h.count()
	srv.CloseTopic(800, bob.ID, rules, true)
	h.wait(t, from, "the closed topic's room read-only", isTopicRoom(true))
	notice(topic, "Closed the topic: only the forum's admins may post in it now")
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: topic}, &pb.SendMessage{Text: "hello?"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("a send to the closed topic: %v, want not allowed", err)
	}
	from = h.count()
	srv.CloseTopic(800, bob.ID, rules, false)
	h.wait(t, from, "the reopened topic's room writable", isTopicRoom(false))
	notice(topic, "Reopened the topic")
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: topic}, &pb.SendMessage{Text: "thanks"}); err != nil {
		t.Errorf("a send to the reopened topic: %v", err)
	}

	// The group's history (the fake's holds no service message: the
	// message as Telegram's history gives it): the rename's line under
	// the live ID, which the gateway drops as seen.
	id, _ := strconv.Atoi(renamed.EventId)
	m := &tg.MessageService{ID: id, PeerID: &tg.PeerChat{ChatID: 77}, FromID: &tg.PeerUser{UserID: bob.ID}, Date: 1700000000,
		Action: &tg.MessageActionChatEditTitle{Title: "Tea time"}}
	evs := s.messageEvents(ctx, m, true)
	if len(evs) != 1 || evs[0].EventId != renamed.EventId || evs[0].GetMessage().GetText() != renamed.GetMessage().Text {
		t.Errorf("the rename in the history: %v, want its line as %s", evs, renamed.EventId)
	}
}
