package telegram

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A forum on the fake Telegram, each topic its own room: the chat list
// names the topics; a message in topic 2 arrives in -100800_2 as written;
// what the user sends there goes to the topic (reply_to naming its top
// message), typing too; General stays the forum's plain room; each
// room's history holds its own messages; a topic created on Telegram
// comes as a new room; an unknown or deleted topic is a clear error.
func TestForumTopicsLive(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 800, Title: "Forum", About: "ask here", Forum: true, Members: []int64{alice.ID, bob.ID, carol.ID}, Admins: []int64{alice.ID}, Creator: bob.ID})
	rules := srv.CreateTopic(800, bob.ID, "Rules")
	if rules != 2 {
		t.Fatalf("first topic %d, want 2", rules)
	}
	forumPeer := &tg.PeerChannel{ChannelID: 800}
	srv.Send(bob.ID, forumPeer, "old rule", tgfake.WithTopic(rules))
	srv.Send(bob.ID, forumPeer, "old general")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)

	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range chats {
		names = append(names, c.ChatId+"="+c.Name)
	}
	slices.Sort(names)
	if want := []string{"-100800=Forum", "-100800_2=Forum / Rules", "-77=Wonderland"}; !slices.Equal(names, want) {
		t.Errorf("chat list %q, want %q", names, want)
	}

	// In: topic 2 and General.
	from := h.count()
	srv.Send(bob.ID, forumPeer, "read the rules", tgfake.WithTopic(rules))
	ev := h.wait(t, from, "topic message", isMessage("-100800_2", "read the rules"))
	if m := ev.GetMessage(); m.Text != "read the rules" || m.ReplyToId != "" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "1002" {
		t.Errorf("topic message %v: want bob's text as written, no reply", ev)
	}
	bobMsg := ev.EventId
	srv.Send(bob.ID, forumPeer, "hello everyone")
	h.wait(t, from, "General message", isMessage("-100800", "hello everyone"))

	// Out: to the topic, plain and as a reply; to General.
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "-100800_2"}, &pb.SendMessage{Text: "will do"}); err != nil {
		t.Fatal(err)
	}
	last := lastOf(srv.ChannelMessages(800))
	if r, ok := last.ReplyTo.(*tg.MessageReplyHeader); last.Message != "will do" || !ok || !r.ForumTopic || r.ReplyToMsgID != rules || r.ReplyToTopID != 0 {
		t.Errorf("sent to the topic: %v, reply_to %v: want in topic %d", last.Message, last.ReplyTo, rules)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "-100800_2"}, &pb.SendMessage{Text: "yes", ReplyToId: bobMsg}); err != nil {
		t.Fatal(err)
	}
	last = lastOf(srv.ChannelMessages(800))
	if r, ok := last.ReplyTo.(*tg.MessageReplyHeader); !ok || !r.ForumTopic || strconv.Itoa(r.ReplyToMsgID) != bobMsg || r.ReplyToTopID != rules {
		t.Errorf("reply in the topic: reply_to %v: want bob's message %s in topic %d", last.ReplyTo, bobMsg, rules)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "-100800"}, &pb.SendMessage{Text: "to all"}); err != nil {
		t.Fatal(err)
	}
	if last = lastOf(srv.ChannelMessages(800)); last.ReplyTo != nil {
		t.Errorf("sent to General with reply_to %v", last.ReplyTo)
	}
	if err := s.SetTyping(ctx, sdk.Call{ChatID: "-100800_2"}, pb.TypingState_TYPING_STATE_COMPOSING); err != nil {
		t.Fatal(err)
	}
	if ty := srv.Typings(); len(ty) != 1 || ty[0].TopMsgID != rules {
		t.Errorf("typing %v: want in topic %d", ty, rules)
	}
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "-100800_2"}, &pb.MarkRead{UpToId: bobMsg}); err != nil {
		t.Fatal(err)
	}

	// History, each room its own, page by page (the forum's pages hold
	// other topics' messages too, left out of General's).
	for i, want := range map[string][]string{
		"-100800_2": {"old rule", "read the rules", "will do", "yes"},
		"-100800":   {"old general", "hello everyone", "to all"},
	} {
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			if page == 5 {
				t.Fatalf("history of %s: no batch said done", i)
			}
			h.mu.Lock()
			n := len(h.history)
			h.mu.Unlock()
			if err := s.Backfill(ctx, sdk.BackfillRequest{ChatID: i, Cursor: cursor}); err != nil {
				t.Fatal(err)
			}
			b := h.waitHistory(t, n)
			var texts []string
			for _, ev := range b.Events {
				if ev.ChatId != i {
					t.Errorf("history of %s has an event of %s", i, ev.ChatId)
				}
				texts = append(texts, ev.GetMessage().GetText())
			}
			got = append(texts, got...)
			if cursor = b.Cursor; b.Done {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("history of %s: %q, want %q", i, got, want)
		}
	}

	// A new topic is a new room, its messages in it.
	from = h.count()
	off := srv.CreateTopic(800, carol.ID, "Off topic")
	offChat := "-100800_" + strconv.Itoa(off)
	ev = h.wait(t, from, "new topic", func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == offChat })
	if c := ev.GetChat().Chat; c.ChatId != offChat || c.Name != "Forum / Off topic" || c.Type != pb.ChatType_CHAT_TYPE_GROUP || len(c.Members) != 3 {
		t.Errorf("new topic's room %v", c)
	}
	srv.Send(carol.ID, forumPeer, "anyone for tea?", tgfake.WithTopic(off))
	h.wait(t, from, "message in the new topic", isMessage(offChat, "anyone for tea?"))

	// Renaming a topic's room renames the topic; its room follows.
	from = h.count()
	if err := s.SetChatName(ctx, sdk.Call{ChatID: offChat}, "Forum / Tea"); err != nil {
		t.Fatal(err)
	}
	if got := srv.TopicTitle(800, off); got != "Tea" {
		t.Errorf("topic's title %q, want Tea", got)
	}
	h.wait(t, from, "the renamed topic's room", func(ev *pb.Event) bool {
		return ev.ChatId == offChat && ev.GetChat().GetChat().GetName() == "Forum / Tea"
	})

	// None of the user's own messages came back; none has a prefix.
	h.mu.Lock()
	for _, ev := range h.events {
		txt := ev.GetMessage().GetText()
		if txt == "will do" || txt == "yes" || txt == "to all" || strings.HasPrefix(txt, "[") {
			t.Errorf("event %v", ev)
		}
	}
	h.mu.Unlock()

	// Unknown and deleted topics.
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "-100800_99"}, &pb.SendMessage{Text: "hello?"})
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(err.Error(), "no topic 99") {
		t.Errorf("send to an unknown topic: %v", err)
	}
	from = h.count()
	srv.DeleteTopic(800, rules)
	h.wait(t, from, "the deleted topic's room removed", func(ev *pb.Event) bool {
		return ev.ChatId == "-100800_2" && ev.GetChatRemoved().GetReason() == pb.ChatRemovedEvent_REASON_DELETED
	})
	// Its messages go with its room (and its archive): no retraction.
	if n := countOf(h, from, func(ev *pb.Event) bool { return ev.GetRetraction().GetTargetId() == bobMsg }); n != 0 {
		t.Errorf("a deleted topic's message retracted %d times, want none: its room ends", n)
	}
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "-100800_2"}, &pb.SendMessage{Text: "still there?"})
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(err.Error(), "no topic 2") {
		t.Errorf("send to a deleted topic: %v", err)
	}
	if _, err := s.ChatInfo(ctx, "-100800_2"); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("info of a deleted topic: %v", err)
	}
	if ms := srv.ChannelMessages(800); lastOf(ms).Message == "still there?" || lastOf(ms).Message == "hello?" {
		t.Error("a message went to a topic that is not there")
	}
}

func lastOf(ms []*tg.Message) *tg.Message {
	if len(ms) == 0 {
		return &tg.Message{}
	}
	return ms[len(ms)-1]
}
