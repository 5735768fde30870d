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

	// The owner gone, ownership passes to an admin (Telegram's
	// messageActionChangeCreator, from the old owner): her line, and the
	// room describes her as its owner. It was dropped, the room keeping
	// the old owner until its next refresh.
	from = h.count()
	srv.PassOwnership(800, bob.ID, carol.ID)
	notice("-100800", "Carol is now the group's owner")
	room := h.wait(t, from, "the room with its new owner", func(ev *pb.Event) bool { return ev.GetChat().GetChat().GetChatId() == "-100800" })
	owners := 0
	for _, m := range room.GetChat().Chat.Members {
		if m.Affiliation == pb.Affiliation_AFFILIATION_OWNER {
			owners++
			if m.UserId != "1003" {
				t.Errorf("owner %v, want carol", m)
			}
		}
	}
	if owners != 1 {
		t.Errorf("the room after the ownership passed: %d owners, want carol alone: %v", owners, room.GetChat().Chat.Members)
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

// On the fake Telegram: a forum's General topic closed (its forumTopic
// closed, its service message in General, without reply_to) makes the
// forum's room, which is General's, read-only for a member who is no
// admin, as another closed topic's: from the chat list, and live, the
// room described again with who closed it; the other topics' rooms stay
// writable; a send there is refused (TOPIC_CLOSED, not allowed), and
// reopened it is writable again. A closed General was not followed: its
// room stayed writable, every send refused by Telegram.
func TestGeneralTopicClosed(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 800, Title: "Forum", Forum: true, Members: []int64{alice.ID, bob.ID, carol.ID}, Admins: []int64{carol.ID}, Creator: bob.ID})
	rules := srv.CreateTopic(800, bob.ID, "Rules")
	srv.CloseTopic(800, bob.ID, 1, true)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	const forum = "-100800"
	topic := topicChatID(forum, rules)
	readOnly := func(chat string) bool {
		t.Helper()
		l, err := s.ChatLimits(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		return l.ReadOnly
	}
	if !readOnly(forum) || readOnly(topic) {
		t.Errorf("General closed before the login: forum's room read-only %v, topic's %v; want true, false", readOnly(forum), readOnly(topic))
	}
	isForumRoom := func(ro bool) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return c.GetChatId() == forum && c.ReadOnly == ro
		}
	}
	from := h.count()
	srv.CloseTopic(800, bob.ID, 1, false)
	h.wait(t, from, "the forum's room writable", isForumRoom(false))
	if ev := h.wait(t, from, "the reopening's line", isMessage(forum, "Reopened the topic")); ev.Sender.GetUserId() != "1002" {
		t.Errorf("the reopening's line from %v, want bob", ev.Sender)
	}
	if readOnly(forum) {
		t.Error("General reopened: the forum's room still read-only")
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: forum}, &pb.SendMessage{Text: "open again"}); err != nil {
		t.Errorf("a send to the reopened General: %v", err)
	}

	from = h.count()
	srv.CloseTopic(800, bob.ID, 1, true)
	h.wait(t, from, "the forum's room read-only", isForumRoom(true))
	notice := h.wait(t, from, "the closing's line", isMessage(forum, "Closed the topic: only the forum's admins may post in it now"))
	if notice.Sender.GetUserId() != "1002" {
		t.Errorf("the closing's line from %v, want bob", notice.Sender)
	}
	h.mu.Lock()
	for _, ev := range h.events[from:] {
		if c := ev.GetChat().GetChat(); c.GetChatId() == topic && c.ReadOnly {
			t.Errorf("General closed made the topic's room read-only: %v", c)
		}
	}
	h.mu.Unlock()
	if !readOnly(forum) || readOnly(topic) {
		t.Errorf("General closed: forum's room read-only %v, topic's %v; want true, false", readOnly(forum), readOnly(topic))
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: forum}, &pb.SendMessage{Text: "hello?"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("a send to the closed General: %v, want not allowed", err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: topic}, &pb.SendMessage{Text: "rules still open"}); err != nil {
		t.Errorf("a send to the open topic: %v", err)
	}
}
