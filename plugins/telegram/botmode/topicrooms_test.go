package botmode_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A forum's topics' rooms have the forum's members and the bot's rights
// there: a member joining or leaving, the bot made an admin, the bot
// removed, each comes to every topic's room too.
func TestTopicRoomsFollowTheForum(t *testing.T) {
	api := newFakeAPI(t)
	forum := fmt.Sprint(groupID)
	plans := forum + "_20"
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	botMember := func(status, rights string) string {
		return fmt.Sprintf(`{"status":%q,"user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"}%s}`, status, testBotID, rights)
	}
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,"from":{"id":604,"is_bot":false,"first_name":"Dan"},
		"new_chat_members":[{"id":604,"is_bot":false,"first_name":"Dan"}]}}`, chatJSON))
	api.push(fmt.Sprintf(`{"message":{"message_id":22,"date":1700000002,%s,"from":{"id":604,"is_bot":false,"first_name":"Dan"},
		"left_chat_member":{"id":604,"is_bot":false,"first_name":"Dan"}}}`, chatJSON))
	api.push(fmt.Sprintf(`{"my_chat_member":{%s,%s,"date":1700000003,"old_chat_member":%s,"new_chat_member":%s}}`, chatJSON, from,
		botMember("member", ""), botMember("administrator", `,"can_be_edited":false,"is_anonymous":false,"can_manage_chat":true,
		"can_delete_messages":true,"can_manage_video_chats":false,"can_restrict_members":true,"can_promote_members":false,
		"can_change_info":true,"can_invite_users":true`)))
	api.push(fmt.Sprintf(`{"my_chat_member":{%s,%s,"date":1700000004,"old_chat_member":%s,"new_chat_member":%s}}`, chatJSON, from,
		botMember("member", ""), botMember("kicked", `,"until_date":0`)))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the topic room's end", func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil && ev.ChatId == plans })
	var got []string
	for _, ev := range h.events() {
		switch p := ev.Payload.(type) {
		case *pb.Event_Member:
			got = append(got, fmt.Sprintf("%s %s %s", ev.ChatId, p.Member.Kind, p.Member.Member.UserId))
		case *pb.Event_Chat:
			got = append(got, fmt.Sprintf("%s chat kick=%v", ev.ChatId, p.Chat.Chat.Features.GetGroupKick()))
		case *pb.Event_ChatRemoved:
			got = append(got, fmt.Sprintf("%s removed %s", ev.ChatId, p.ChatRemoved.Reason))
		}
	}
	want := []string{
		forum + " chat kick=false",
		forum + " KIND_JOINED 600", // first seen as they create the topic
		plans + " chat kick=false",
		forum + " KIND_JOINED 604", plans + " KIND_JOINED 604",
		forum + " KIND_LEFT 604", plans + " KIND_LEFT 604",
		forum + " chat kick=true", plans + " chat kick=true",
		forum + " removed REASON_BANNED", plans + " removed REASON_BANNED",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
}

// Leaving a forum from XMPP ends its topics' rooms too (Telegram's
// update of the bot's leave names only the forum).
func TestLeaveForumEndsTopicRooms(t *testing.T) {
	api := newFakeAPI(t)
	forum := fmt.Sprint(groupID)
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the topic's room", isChatEvent(forum+"_20"))
	mark := len(h.events())
	if err := s.LeaveChat(context.Background(), sdk.Call{ChatID: forum}); err != nil {
		t.Fatal(err)
	}
	ev := h.waitEvent(t, mark, "the topic room's end", func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if ev.ChatId != forum+"_20" || ev.GetChatRemoved().Reason != pb.ChatRemovedEvent_REASON_LEFT {
		t.Errorf("after leaving the forum: %v", ev)
	}
	if chats, _ := s.ChatList(context.Background()); len(chats) != 0 {
		t.Errorf("chat list after leaving: %v", chats)
	}
}

// A topic closed before the bot saw its forum (no forum_topic_closed
// came): Telegram's refusal of a send there (TOPIC_CLOSED) makes its
// room read-only, and its ChatLimits, so the next message is refused by
// the gateway at once, until the topic is reopened. The room stayed writable, each message
// going to Telegram to fail.
func TestTopicFoundClosedBot(t *testing.T) {
	api := newFakeAPI(t)
	forum := fmt.Sprint(groupID)
	plans := forum + "_20"
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the topic's room", isChatEvent(plans))
	isRoom := func(readOnly bool) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.GetChat().GetChat().GetChatId() == plans && ev.GetChat().Chat.ReadOnly == readOnly
		}
	}
	mark := len(h.events())
	api.setRefuse("sendMessage", "400", "Bad Request: TOPIC_CLOSED")
	_, err := s.SendMessage(context.Background(), sdk.Call{ChatID: plans}, &pb.SendMessage{Text: "hello?"})
	api.setRefuse("sendMessage", "", "")
	if errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("a send to the closed topic: %v, want not allowed", err)
	}
	h.waitFor(t, mark, "the closed topic's room read-only", isRoom(true))
	if chats, _ := s.ChatList(context.Background()); !slices.ContainsFunc(chats, func(c *pb.Chat) bool { return c.ChatId == plans && c.ReadOnly }) {
		t.Errorf("chat list after TOPIC_CLOSED: %v, want %s read-only", chats, plans)
	}
	// What the SDK asks before each command says so too (it said
	// writable: the next send went to Telegram to fail again).
	limits := func(want bool) {
		t.Helper()
		if l, err := s.ChatLimits(context.Background(), plans); err != nil || l.ReadOnly != want {
			t.Errorf("ChatLimits(%s): read-only %v (%v), want %v", plans, l.ReadOnly, err, want)
		}
	}
	limits(true)
	mark = len(h.events())
	api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_reopened":{}}}`, chatJSON, from))
	h.waitFor(t, mark, "the reopened topic's room writable", isRoom(false))
	limits(false)
}

// The closed topics are kept in the login's folder (chats.json): after
// a restart of the plugin, a topic closed before it is still read-only,
// in the chat list and for the SDK's check before a send.
func TestClosedTopicAfterRestartBot(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	plans := fmt.Sprint(groupID) + "_20"
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	last := api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_closed":{}}}`, chatJSON, from))
	h1 := newFakeHost()
	s1 := newSession(t, api, h1, dir)
	connect(t, s1, h1)
	h1.waitFor(t, 0, "the closed topic's room read-only", func(ev *pb.Event) bool {
		return ev.GetChat().GetChat().GetChatId() == plans && ev.GetChat().Chat.ReadOnly
	})
	waitConfirmed(t, dir, last)
	s1.Disconnect(context.Background())

	h2 := newFakeHost()
	s2 := newSession(t, api, h2, dir)
	connect(t, s2, h2)
	if l, err := s2.ChatLimits(context.Background(), plans); err != nil || !l.ReadOnly {
		t.Errorf("ChatLimits(%s) after the restart: read-only %v (%v), want true", plans, l.ReadOnly, err)
	}
	if chats, _ := s2.ChatList(context.Background()); !slices.ContainsFunc(chats, func(c *pb.Chat) bool { return c.ChatId == plans && c.ReadOnly }) {
		t.Errorf("chat list after the restart: %v, want %s read-only", chats, plans)
	}
}

// A forum's General topic closed (forum_topic_closed in General, without
// a thread ID) makes the forum's room, which is General's, read-only for
// a bot that does not manage topics, in its description, the chat list
// and ChatLimits, the topics' rooms as they were; reopened, it is
// writable again; and a send refused TOPIC_CLOSED in General (closed
// before the bot saw it) does the same. A closed General was not
// followed: the room stayed writable, each message going to Telegram to
// fail.
func TestGeneralClosedBot(t *testing.T) {
	api := newFakeAPI(t)
	forum := fmt.Sprint(groupID)
	plans := forum + "_20"
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the topic's room", isChatEvent(plans))
	isForumRoom := func(readOnly bool) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.GetChat().GetChat().GetChatId() == forum && ev.GetChat().Chat.ReadOnly == readOnly
		}
	}
	limits := func(chat string, want bool) {
		t.Helper()
		if l, err := s.ChatLimits(context.Background(), chat); err != nil || l.ReadOnly != want {
			t.Errorf("ChatLimits(%s): read-only %v (%v), want %v", chat, l.ReadOnly, err, want)
		}
	}
	listed := func(chat string) bool {
		t.Helper()
		chats, _ := s.ChatList(context.Background())
		i := slices.IndexFunc(chats, func(c *pb.Chat) bool { return c.ChatId == chat })
		if i < 0 {
			t.Fatalf("%s not in the chat list %v", chat, chats)
		}
		return chats[i].ReadOnly
	}

	mark := len(h.events())
	api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,%s,"forum_topic_closed":{}}}`, chatJSON, from))
	h.waitFor(t, mark, "the forum's room read-only", isForumRoom(true))
	limits(forum, true)
	limits(plans, false)
	if !listed(forum) || listed(plans) {
		t.Errorf("chat list with General closed: forum read-only %v, topic %v; want true, false", listed(forum), listed(plans))
	}
	mark = len(h.events())
	api.push(fmt.Sprintf(`{"message":{"message_id":22,"date":1700000002,%s,%s,"forum_topic_reopened":{}}}`, chatJSON, from))
	h.waitFor(t, mark, "the forum's room writable", isForumRoom(false))
	limits(forum, false)

	mark = len(h.events())
	api.setRefuse("sendMessage", "400", "Bad Request: TOPIC_CLOSED")
	_, err := s.SendMessage(context.Background(), sdk.Call{ChatID: forum}, &pb.SendMessage{Text: "hello?"})
	api.setRefuse("sendMessage", "", "")
	if errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Fatalf("a send to the closed General: %v, want not allowed", err)
	}
	h.waitFor(t, mark, "the forum's room read-only after TOPIC_CLOSED", isForumRoom(true))
	limits(forum, true)
	limits(plans, false)
}
