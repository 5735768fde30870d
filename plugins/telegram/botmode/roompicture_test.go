package botmode_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/sdk"

	pb "passerelle.im/passerelle/plugins/proto"
)

// groupChatJSON is getChat's answer for the test group, with a picture
// when pic names one.
func groupChatJSON(pic string) string {
	photo := ""
	if pic != "" {
		photo = fmt.Sprintf(`,"photo":{"small_file_id":"%s-small","small_file_unique_id":"s%s","big_file_id":"%s","big_file_unique_id":"u%s"}`, pic, pic, pic, pic)
	}
	return fmt.Sprintf(`{"id":%d,"type":"supergroup","title":"Test group","max_reaction_count":11,"accent_color_id":0%s}`, groupID, photo)
}

func isChatEvent(chatID string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == chatID }
}

// A group's picture is its room's avatar: getChat names it when the bot
// first sees the group (its big_file_unique_id the avatar_id),
// ChatAvatar fetches it; a new picture comes as the group's description
// again with a new avatar_id, a deleted one with no_avatar.
func TestGroupPicture(t *testing.T) {
	api := newFakeAPI(t)
	group := fmt.Sprint(groupID)
	api.chatJS[group] = groupChatJSON("gpic1")
	api.addFile("gpic1", []byte("jpeg of the group"))
	api.push(groupMsg(10, 600, "Owner", "hello"))
	h := newFakeHost()
	dir := t.TempDir()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	ctx := context.Background()

	c := h.waitEvent(t, 0, "the group's room", isChatEvent(group)).GetChat().Chat
	if c.AvatarId != "ugpic1" || c.NoAvatar {
		t.Errorf("the group's room: avatar_id %q, no_avatar %v; want the picture's unique ID", c.AvatarId, c.NoAvatar)
	}
	data, mime, err := s.ChatAvatar(ctx, group)
	if err != nil || string(data) != "jpeg of the group" || mime != "image/jpeg" {
		t.Errorf("ChatAvatar: %q %q %v", data, mime, err)
	}
	gets := len(api.callsOf("getChat"))

	// A new picture: the group's description again, its name with it.
	api.addFile("gpic2", []byte("the new jpeg"))
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Test group"}`, groupID)
	mark := len(h.events())
	api.push(fmt.Sprintf(`{"message":{"message_id":11,"date":1700000200,%s,%s,"new_chat_photo":[
		{"file_id":"gpic2-small","file_unique_id":"s2","width":160,"height":160},
		{"file_id":"gpic2","file_unique_id":"ugpic2","width":640,"height":640}]}}`, chatJSON, from))
	ev := h.waitEvent(t, mark, "the new picture", isChatEvent(group))
	if c := ev.GetChat().Chat; c.AvatarId != "ugpic2" || c.Name != "Test group" || c.NoAvatar || len(c.Members) == 0 {
		t.Errorf("the new picture's event: %v; want the whole description with avatar_id ugpic2", c)
	}
	if ev.Sender.GetUserId() != "600" {
		t.Errorf("the new picture's event from %v, want the owner", ev.Sender)
	}
	if data, _, err := s.ChatAvatar(ctx, group); err != nil || string(data) != "the new jpeg" {
		t.Errorf("ChatAvatar after the change: %q %v", data, err)
	}
	if n := len(api.callsOf("getChat")); n != gets {
		t.Errorf("getChat asked %d more times: the service message names the picture", n-gets)
	}

	// Deleted: no_avatar, and ChatAvatar has nothing.
	mark = len(h.events())
	api.push(fmt.Sprintf(`{"message":{"message_id":12,"date":1700000300,%s,%s,"delete_chat_photo":true}}`, chatJSON, from))
	ev = h.waitEvent(t, mark, "the deleted picture", isChatEvent(group))
	if c := ev.GetChat().Chat; !c.NoAvatar || c.AvatarId != "" || c.Name != "Test group" {
		t.Errorf("the deleted picture's event: %v; want no_avatar", c)
	}
	if data, _, err := s.ChatAvatar(ctx, group); err != nil || data != nil {
		t.Errorf("ChatAvatar after the deletion: %q %v, want none", data, err)
	}
	if c, err := s.ChatInfo(ctx, group); err != nil || !c.NoAvatar {
		t.Errorf("ChatInfo after the deletion: %v %v", c, err)
	}

	// Kept across a restart: no lookup again.
	waitConfirmed(t, dir, 3)
	s.Disconnect(ctx)
	s2 := newSession(t, api, newFakeHost(), dir)
	if chats, err := s2.ChatList(ctx); err != nil || len(chats) != 1 || !chats[0].NoAvatar {
		t.Errorf("the chat list after a restart: %v %v", chats, err)
	}
	if _, _, err := s.ChatAvatar(ctx, "501"); err == nil {
		t.Error("ChatAvatar of a person's chat answered")
	}
}

// A group seen before its picture could be looked up (getChat failed,
// or an older version) has it looked up when the gateway asks.
func TestGroupPictureLookedUpLater(t *testing.T) {
	api := newFakeAPI(t)
	group := fmt.Sprint(groupID)
	api.setRefuse("getChat", "500", "Internal Server Error")
	api.push(groupMsg(10, 600, "Owner", "hello"))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	if c := h.waitEvent(t, 0, "the group's room", isChatEvent(group)).GetChat().Chat; c.AvatarId != "" || c.NoAvatar {
		t.Errorf("a group whose picture is unknown: avatar_id %q no_avatar %v, want neither", c.AvatarId, c.NoAvatar)
	}
	if _, _, err := s.ChatAvatar(ctx, group); err == nil {
		t.Errorf("ChatAvatar with getChat failing: %v, want an error", err)
	}
	api.setRefuse("getChat", "", "")
	api.chatJS[group] = groupChatJSON("gpic1")
	api.addFile("gpic1", []byte("jpeg of the group"))
	c, err := s.ChatInfo(ctx, group)
	if err != nil || c.AvatarId != "ugpic1" {
		t.Fatalf("ChatInfo: %v %v, want the picture looked up", c, err)
	}
	if data, _, err := s.ChatAvatar(ctx, group); err != nil || string(data) != "jpeg of the group" {
		t.Errorf("ChatAvatar: %q %v", data, err)
	}
	// Known now: not asked again.
	gets := len(api.callsOf("getChat"))
	s.ChatInfo(ctx, group)
	s.ChatAvatar(ctx, group)
	if n := len(api.callsOf("getChat")); n != gets {
		t.Errorf("getChat asked again (%d times) for a known picture", n-gets)
	}
}

// A forum's new name renames its topics' rooms ("Forum / Plans"), from
// Telegram or from XMPP (Telegram does not tell a bot of its own
// rename); its picture is theirs too.
func TestForumRenameRenamesTopics(t *testing.T) {
	api := newFakeAPI(t)
	forum := fmt.Sprint(groupID)
	api.chatJS[forum] = fmt.Sprintf(`{"id":%d,"type":"supergroup","title":"Forum","is_forum":true,"accent_color_id":0,"max_reaction_count":11}`, groupID)
	chatJSON := func(title string) string {
		return fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":%q,"is_forum":true}`, groupID, title)
	}
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON("Forum"), from))
	api.push(fmt.Sprintf(`{"message":{"message_id":30,"date":1700000001,%s,%s,"message_thread_id":30,"is_topic_message":true,"forum_topic_created":{"name":"Ideas","icon_color":0}}}`, chatJSON("Forum"), from))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	plans, ideas := forum+"_20", forum+"_30"
	mark := h.waitFor(t, 0, "the second topic", isChatEvent(ideas)) + 1

	api.push(fmt.Sprintf(`{"message":{"message_id":40,"date":1700000100,%s,%s,"new_chat_title":"Big forum"}}`, chatJSON("Big forum"), from))
	names := func(from int, want map[string]string) {
		t.Helper()
		for id, name := range want {
			ev := h.waitEvent(t, from, "the new name of "+id, func(ev *pb.Event) bool {
				return isChatEvent(id)(ev) && ev.GetChat().Chat.Name == name
			})
			if c := ev.GetChat().Chat; id != forum && (c.Features.GroupName || c.Features.LeaveChat) {
				t.Errorf("topic room %s: %v; renaming and leaving are the forum's", id, c.Features)
			}
		}
	}
	names(mark, map[string]string{forum: "Big forum", plans: "Big forum / Plans", ideas: "Big forum / Ideas"})
	ctx := context.Background()
	if c, err := s.ChatInfo(ctx, plans); err != nil || c.Name != "Big forum / Plans" {
		t.Errorf("ChatInfo of a topic after the rename: %v %v", c, err)
	}

	// Renamed from XMPP: the rooms are told at once.
	mark = len(h.events())
	if err := s.SetChatName(ctx, sdk.Call{ChatID: forum}, "Renamed here"); err != nil {
		t.Fatal(err)
	}
	if p := api.callsOf("setChatTitle")[0].Params; p["chat_id"] != forum || p["title"] != "Renamed here" {
		t.Errorf("setChatTitle %v", p)
	}
	names(mark, map[string]string{forum: "Renamed here", plans: "Renamed here / Plans", ideas: "Renamed here / Ideas"})
	// Renamed to the name it has: Telegram refuses it (CHAT_NOT_MODIFIED),
	// which is no failure for the user, and no room changes.
	mark = len(h.events())
	if err := s.SetChatName(ctx, sdk.Call{ChatID: forum}, "Renamed here"); err != nil {
		t.Errorf("renamed to its own name: %v", err)
	}
	if n := len(api.callsOf("setChatTitle")); n != 2 {
		t.Errorf("setChatTitle asked %d times, want 2", n)
	}
	for _, ev := range h.events()[mark:] {
		if ev.GetChat() != nil {
			t.Errorf("renamed to its own name: the room was described again: %v", ev)
		}
	}
	// The description (the room's subject), then the one it has (a
	// client setting the subject again): no failure either; it was.
	for i := range 2 {
		if err := s.SetTopic(ctx, sdk.Call{ChatID: forum}, "Plans and ideas"); err != nil {
			t.Errorf("the forum's description (time %d): %v", i+1, err)
		}
	}
	if n := len(api.callsOf("setChatDescription")); n != 2 {
		t.Errorf("setChatDescription asked %d times, want 2", n)
	}
	chats, _ := s.ChatList(ctx)
	var got []string
	for _, c := range chats {
		got = append(got, c.Name)
	}
	if want := []string{"Renamed here", "Renamed here / Plans", "Renamed here / Ideas"}; !slices.Equal(got, want) {
		t.Errorf("chat list %q, want %q", got, want)
	}

	// A new picture: every room of the forum shows it.
	api.addFile("fpic", []byte("forum jpeg"))
	mark = len(h.events())
	api.push(fmt.Sprintf(`{"message":{"message_id":41,"date":1700000200,%s,%s,"new_chat_photo":[{"file_id":"fpic","file_unique_id":"ufpic","width":640,"height":640}]}}`, chatJSON("Renamed here"), from))
	for _, id := range []string{forum, plans, ideas} {
		ev := h.waitEvent(t, mark, "the picture of "+id, isChatEvent(id))
		if c := ev.GetChat().Chat; c.AvatarId != "ufpic" || c.Name == "" {
			t.Errorf("room %s after the new picture: %v", id, c)
		}
	}
	if data, _, err := s.ChatAvatar(ctx, plans); err != nil || string(data) != "forum jpeg" {
		t.Errorf("ChatAvatar of a topic: %q %v, want the forum's picture", data, err)
	}
}

// The gateway asks about a new room several ways at once (its info, its
// picture): Telegram is asked once, each caller getting the answer. It
// was asked once per caller, each a call against the bot's rate limit
// (TestGatewayGroupPicture saw two under load).
func TestGetChatAskedOnceAtATime(t *testing.T) {
	api := newFakeAPI(t)
	group := fmt.Sprint(groupID)
	api.chatJS[group] = groupChatJSON("gpic1")
	api.addFile("gpic1", []byte("jpeg of the group"))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	gate := make(chan struct{})
	api.mu.Lock()
	api.getChatGate = gate
	api.mu.Unlock()
	ctx := context.Background()
	type answer struct {
		avatar string
		err    error
	}
	answers := make(chan answer, 3)
	for range 3 {
		go func() {
			c, err := s.ChatInfo(ctx, group)
			answers <- answer{c.GetAvatarId(), err}
		}()
	}
	// The first caller's getChat has reached Telegram; the others are
	// given a while to reach it too, as they did without the one flight
	// (a slow start makes this test pass, never fail, wrongly).
	deadline := time.Now().Add(10 * time.Second)
	for len(api.callsOf("getChat")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("getChat never asked")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	close(gate)
	for range 3 {
		if a := <-answers; a.err != nil || a.avatar != "ugpic1" {
			t.Errorf("ChatInfo asked at once: avatar %q, %v; want ugpic1", a.avatar, a.err)
		}
	}
	if n := len(api.callsOf("getChat")); n != 1 {
		t.Errorf("getChat asked %d times by three ChatInfo calls at once, want 1", n)
	}
}
