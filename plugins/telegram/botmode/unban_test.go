package botmode_test

import (
	"context"
	"fmt"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Lifting a ban as a bot: unbanChatMember with only_if_banned (a member
// stays a member), where the bot may restrict members, as for a kick; a
// basic group has no ban list (nothing is asked of Telegram); Telegram's
// refusal is not-allowed.
func TestUnban(t *testing.T) {
	api := newFakeAPI(t)
	admin := func(restrict bool) string {
		return fmt.Sprintf(`{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},
			"can_be_edited":false,"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,
			"can_restrict_members":%t,"can_promote_members":false,"can_change_info":false,"can_invite_users":true}`, testBotID, restrict)
	}
	api.admins["-100778"] = "[" + admin(true) + "]"
	api.admins["-100779"] = "[" + admin(false) + "]"
	api.admins["-4242"] = "[" + admin(true) + "]"
	msg := func(id int, chat int64, typ, text string) string {
		return fmt.Sprintf(`{"message":{"message_id":%d,"date":1700000100,"chat":{"id":%d,"type":%q,"title":"Group %d"},
			"from":{"id":601,"is_bot":false,"first_name":"Dave"},"text":%q}}`, id, chat, typ, chat, text)
	}
	api.push(msg(1, -100778, "supergroup", "mods"))
	api.push(msg(2, -100779, "supergroup", "no mods"))
	api.push(msg(3, -4242, "group", "basic"))
	api.push(privateMsg(4, "private", ""))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	for _, text := range []string{"mods", "no mods", "basic", "private"} {
		h.waitFor(t, 0, text, isText(text))
	}
	ctx := context.Background()

	for chat, want := range map[string]bool{"-100778": true, "-100779": false, "501": false} {
		if l, err := s.ChatLimits(ctx, chat); err != nil || l.Features.GroupUnban != want || l.Features.GroupUnban != l.Features.GroupKick {
			t.Errorf("ChatLimits(%s): %+v %v; want group_unban %v, as group_kick", chat, l.Features, err, want)
		}
	}

	if err := s.Unban(ctx, sdk.Call{ChatID: "-100778"}, "601"); err != nil {
		t.Fatalf("unban: %v", err)
	}
	calls := api.callsOf("unbanChatMember")
	if len(calls) != 1 || calls[0].Params["chat_id"] != "-100778" || calls[0].Params["user_id"] != "601" || calls[0].Params["only_if_banned"] != "true" {
		t.Errorf("unbanChatMember calls %v", calls)
	}
	if err := s.Unban(ctx, sdk.Call{ChatID: "-4242"}, "601"); err != nil {
		t.Errorf("unban in a basic group: %v", err)
	}
	if n := len(api.callsOf("unbanChatMember")); n != 1 {
		t.Errorf("%d unbanChatMember calls after one in a basic group, want 1", n)
	}
	if err := s.Unban(ctx, sdk.Call{ChatID: "-100778"}, "dave"); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("unban of a user ID that is not Telegram's: %v", err)
	}
	api.setRefuse("unbanChatMember", "400", "Bad Request: not enough rights to restrict/unrestrict chat member")
	if err := s.Unban(ctx, sdk.Call{ChatID: "-100779"}, "601"); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !contains(err.Error(), "not enough rights") {
		t.Errorf("unban without the right: %v", err)
	}
}
