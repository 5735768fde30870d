package botmode_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A group's picture set from XMPP (sdk.ChatAvatarSetter): setChatPhoto
// with a 640-pixel square JPEG, and the room told of the new picture's
// ID (looked up with getChat: Telegram tells a bot nothing of its own
// service messages); replaced; removed with deleteChatPhoto, no_avatar,
// and removing none is no error. Telegram's refusal where the bot lacks
// the right to change the info is NOT_ALLOWED; what is no picture and a
// forum topic's room are refused before Telegram.
func TestSetGroupPicture(t *testing.T) {
	api := newFakeAPI(t)
	group := fmt.Sprint(groupID)
	api.chatJS[group] = groupChatJSON("")
	admin := fmt.Sprintf(`{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},
		"can_be_edited":false,"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":false,"can_manage_video_chats":false,
		"can_restrict_members":false,"can_promote_members":false,"can_change_info":true,"can_invite_users":false}`, testBotID)
	api.member[group], api.admins[group] = admin, "["+admin+"]"
	api.push(groupMsg(10, 600, "Owner", "hello"))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	if c := h.waitEvent(t, 0, "the group's room", isChatEvent(group)).GetChat().Chat; !c.NoAvatar {
		t.Fatalf("the group's room before: %v; want no picture", c)
	}
	if l, _ := s.ChatLimits(ctx, group); !l.Features.GetGroupAvatar() {
		t.Errorf("an admin who may change the info: %+v; want group_avatar", l.Features)
	}

	set := func(chat string, data []byte) (*pb.Chat, error) {
		t.Helper()
		mark := len(h.events())
		if err := s.SetChatAvatar(ctx, sdk.Call{ChatID: chat}, &pb.SetChatAvatar{Data: data, MimeType: "image/png"}); err != nil {
			return nil, err
		}
		return h.waitEvent(t, mark, "the picture's news", isChatEvent(chat)).GetChat().Chat, nil
	}
	c, err := set(group, plugintest.PNG(1000, 700, color.RGBA{R: 200, A: 255}))
	if err != nil || c.AvatarId != "usetpic1" || c.NoAvatar || c.Name != "Test group" {
		t.Fatalf("the picture set: %v %v; want avatar_id usetpic1", c, err)
	}
	calls := api.callsOf("setChatPhoto")
	if len(calls) != 1 || calls[0].Params["chat_id"] != group {
		t.Fatalf("setChatPhoto calls: %v", calls)
	}
	sent := calls[0].Files["photo"]
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(sent)); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Errorf("the picture sent: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	if data, mime, err := s.ChatAvatar(ctx, group); err != nil || !bytes.Equal(data, sent) || mime != "image/jpeg" {
		t.Errorf("ChatAvatar: %d bytes of %s, %v; want the picture set", len(data), mime, err)
	}
	if c, err := set(group, plugintest.PNG(200, 300, color.White)); err != nil || c.AvatarId != "usetpic2" {
		t.Fatalf("the picture replaced: %v %v; want avatar_id usetpic2", c, err)
	}
	if c, err := set(group, nil); err != nil || !c.NoAvatar || c.AvatarId != "" {
		t.Fatalf("the picture removed: %v %v; want no_avatar", c, err)
	}
	if n := len(api.callsOf("deleteChatPhoto")); n != 1 {
		t.Errorf("deleteChatPhoto asked %d times", n)
	}
	if data, _, err := s.ChatAvatar(ctx, group); err != nil || data != nil {
		t.Errorf("ChatAvatar after the removal: %d bytes, %v", len(data), err)
	}
	if err := s.SetChatAvatar(ctx, sdk.Call{ChatID: group}, &pb.SetChatAvatar{}); err != nil {
		t.Errorf("removing a picture the group does not have: %v; want done (none it is)", err)
	}

	// Without the right: Telegram's refusal.
	api.mu.Lock()
	api.member[group] = strings.Replace(admin, `"can_change_info":true`, `"can_change_info":false`, 1)
	api.mu.Unlock()
	if _, err := set(group, plugintest.PNG(50, 50, color.White)); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("without the right to change the info: %v; want NOT_ALLOWED", err)
	}

	// Refused before Telegram.
	asked := len(api.callsOf("setChatPhoto"))
	for chat, data := range map[string][]byte{group: []byte("not a picture"), group + "_5": plugintest.PNG(50, 50, color.White)} {
		if _, err := set(chat, data); errCode(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
			t.Errorf("%s: %v; want BAD_REQUEST", chat, err)
		}
	}
	if n := len(api.callsOf("setChatPhoto")); n != asked {
		t.Errorf("%d refused pictures reached Telegram", n-asked)
	}
}
