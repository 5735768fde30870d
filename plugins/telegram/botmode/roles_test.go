package botmode_test

import (
	"context"
	"fmt"
	"testing"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"

	pb "passerelle.im/passerelle/plugins/proto"
)

// basicGroupID is a basic group's (no -100: not a supergroup).
const basicGroupID = -4242

// botAdmin is the bot's getChatAdministrators entry, with the right to
// add admins and to restrict members as given.
func botAdmin(promote, restrict bool) string {
	return fmt.Sprintf(`{"status":"administrator","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"},"can_be_edited":false,
		"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":false,"can_restrict_members":%t,
		"can_promote_members":%t,"can_change_info":false,"can_invite_users":true}`, testBotID, restrict, promote)
}

// roleSession is a bot that is an admin of the supergroup groupID (with
// the rights given) and a member of the basic group basicGroupID, both
// seen.
func roleSession(t *testing.T, promote, restrict bool) (*fakeAPI, *fakeHost, *botmode.Session) {
	t.Helper()
	api := newFakeAPI(t)
	api.admins[fmt.Sprint(groupID)] = "[" + botAdmin(promote, restrict) + "]"
	api.push(groupMsg(1, 700, "U700", "hello"))
	api.push(fmt.Sprintf(`{"message":{"message_id":1,"date":1700000100,"chat":{"id":%d,"type":"group","title":"Small group"},
		"from":{"id":700,"is_bot":false,"first_name":"U700"},"text":"small"}}`, basicGroupID))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the group message", isText("hello"))
	h.waitFor(t, 0, "the basic group's message", isText("small"))
	return api, h, s
}

func errCode(err error) pb.ErrorCode { return sdk.ToProto(err).GetCode() }

// Promote, demote, mute, unmute: the Bot API's calls with the rights a
// group's admin needs, then all taken away; a mute takes every right to
// send and keeps the others, an unmute gives them back.
func TestXSetRoleBot(t *testing.T) {
	api, h, s := roleSession(t, true, true)
	ctx := context.Background()
	group := sdk.Call{ChatID: fmt.Sprint(groupID)}

	if l, _ := s.ChatLimits(ctx, group.ChatID); !l.Features.GroupRoles {
		t.Errorf("a supergroup where the bot may promote and restrict: no group_roles in %+v", l.Features)
	}
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}); err != nil {
		t.Fatalf("promote: %v", err)
	}
	prom := api.callsOf("promoteChatMember")
	if len(prom) != 1 {
		t.Fatalf("promoteChatMember calls %v", prom)
	}
	for _, right := range []string{"can_manage_chat", "can_delete_messages", "can_restrict_members", "can_invite_users", "can_pin_messages"} {
		if p := prom[0].Params; p[right] != "true" || p["chat_id"] != group.ChatID || p["user_id"] != "701" {
			t.Errorf("promoteChatMember params %v: want %s", p, right)
		}
	}
	if prom[0].Params["can_promote_members"] == "true" {
		t.Errorf("a new admin may name admins: %v", prom[0].Params)
	}
	// Already an admin: nothing to do; a moderator that is not one is
	// made one.
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}); err != nil || len(api.callsOf("promoteChatMember")) != 1 {
		t.Errorf("promoting an admin again: %v, %d calls", err, len(api.callsOf("promoteChatMember")))
	}
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "702", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_MODERATOR}); err != nil {
		t.Fatalf("a moderator: %v", err)
	}
	if prom := api.callsOf("promoteChatMember"); len(prom) != 2 || prom[1].Params["user_id"] != "702" || prom[1].Params["can_delete_messages"] != "true" {
		t.Errorf("a moderator is made an admin: %v", prom)
	}
	// Demote: every right false (none sent).
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_PARTICIPANT}); err != nil {
		t.Fatalf("demote: %v", err)
	}
	prom = api.callsOf("promoteChatMember")
	if len(prom) != 3 || prom[2].Params["user_id"] != "701" {
		t.Fatalf("demote: promoteChatMember calls %v", prom)
	}
	for k, v := range prom[2].Params {
		if len(k) > 4 && k[:4] == "can_" && v == "true" {
			t.Errorf("demote leaves %s: %v", k, prom[2].Params)
		}
	}
	if len(api.callsOf("restrictChatMember")) != 0 {
		t.Errorf("restrictChatMember called without a mute: %v", api.callsOf("restrictChatMember"))
	}

	// Mute, then unmute.
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "703", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_VISITOR}); err != nil {
		t.Fatalf("mute: %v", err)
	}
	res := api.callsOf("restrictChatMember")
	if len(res) != 1 || res[0].Params["user_id"] != "703" || res[0].Params["use_independent_chat_permissions"] != "true" {
		t.Fatalf("mute: restrictChatMember calls %v", res)
	}
	perms := res[0].Params["permissions"]
	for _, sendRight := range []string{`"can_send_messages":true`, `"can_send_photos":true`, `"can_send_documents":true`, `"can_send_other_messages":true`} {
		if contains(perms, sendRight) {
			t.Errorf("mute leaves %s: %s", sendRight, perms)
		}
	}
	if !contains(perms, `"can_invite_users":true`) {
		t.Errorf("mute takes more than sending: %s", perms)
	}
	// Muted already: nothing to do.
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "703", Role: pb.Role_ROLE_VISITOR, Affiliation: pb.Affiliation_AFFILIATION_MEMBER}); err != nil || len(api.callsOf("restrictChatMember")) != 1 {
		t.Errorf("muting again: %v, %v", err, api.callsOf("restrictChatMember"))
	}
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "703", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_PARTICIPANT}); err != nil {
		t.Fatalf("unmute: %v", err)
	}
	res = api.callsOf("restrictChatMember")
	if len(res) != 2 {
		t.Fatalf("unmute: restrictChatMember calls %v", res)
	}
	for _, sendRight := range []string{`"can_send_messages":true`, `"can_send_audios":true`, `"can_send_photos":true`, `"can_send_videos":true`,
		`"can_send_voice_notes":true`, `"can_send_polls":true`, `"can_send_other_messages":true`, `"can_add_web_page_previews":true`} {
		if !contains(res[1].Params["permissions"], sendRight) {
			t.Errorf("unmute without %s: %s", sendRight, res[1].Params["permissions"])
		}
	}
	api.mu.Lock()
	st := api.userStatus(group.ChatID, "703")
	api.mu.Unlock()
	if !contains(st, `"status":"member"`) {
		t.Errorf("after the unmute Telegram has %s", st)
	}
	// The room learns each change at once, the changes made only.
	want := []string{
		"701 AFFILIATION_ADMIN ROLE_MODERATOR", "702 AFFILIATION_ADMIN ROLE_MODERATOR", "701 AFFILIATION_MEMBER ROLE_PARTICIPANT",
		"703 AFFILIATION_MEMBER ROLE_VISITOR", "703 AFFILIATION_MEMBER ROLE_PARTICIPANT",
	}
	if got := roleEvents(h.events(), group.ChatID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("role events\n got %q\nwant %q", got, want)
	}
	// Telegram's word of it after (chat_member) is no news; a mute made
	// in Telegram's apps is a visitor.
	n := len(h.events())
	g := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Test group"}`, groupID)
	api.push(fmt.Sprintf(`{"chat_member":{%s,"from":{"id":%d,"is_bot":true,"first_name":"T"},"date":1700000200,
		"old_chat_member":{"status":"member","user":{"id":701,"is_bot":false,"first_name":"U701"}},
		"new_chat_member":{"status":"member","user":{"id":701,"is_bot":false,"first_name":"U701"}}}}`, g, testBotID))
	api.push(fmt.Sprintf(`{"chat_member":{%s,"from":{"id":700,"is_bot":false,"first_name":"U700"},"date":1700000201,
		"old_chat_member":{"status":"member","user":{"id":705,"is_bot":false,"first_name":"U705"}},
		"new_chat_member":{"status":"restricted","user":{"id":705,"is_bot":false,"first_name":"U705"},"is_member":true,
		"can_send_messages":false,"can_send_audios":false,"can_send_documents":false,"can_send_photos":false,"can_send_videos":false,
		"can_send_video_notes":false,"can_send_voice_notes":false,"can_send_polls":false,"can_send_other_messages":false,
		"can_add_web_page_previews":false,"can_change_info":false,"can_invite_users":true,"can_pin_messages":false,"until_date":0}}}`, g))
	api.push(groupMsg(9, 700, "U700", "after"))
	h.waitFor(t, n, "the message after", isText("after"))
	if got := roleEvents(h.events()[n:], group.ChatID); fmt.Sprint(got) != fmt.Sprint([]string{"705 AFFILIATION_MEMBER ROLE_VISITOR"}) {
		t.Errorf("role events of Telegram's updates: %q", got)
	}
}

// roleEvents are the role changes of a chat, as "user affiliation role".
func roleEvents(evs []*pb.Event, chatID string) []string {
	var out []string
	for _, ev := range evs {
		if m := ev.GetMember(); m != nil && m.Kind == pb.MemberEvent_KIND_ROLE_CHANGED && ev.ChatId == chatID {
			out = append(out, fmt.Sprintf("%s %s %s", m.Member.UserId, m.Member.Affiliation, m.Member.Role))
		}
	}
	return out
}

// What cannot be done is refused with the user mode's codes, and
// Telegram is not asked.
func TestXSetRoleBotRefused(t *testing.T) {
	api, _, s := roleSession(t, true, true)
	ctx := context.Background()
	group := sdk.Call{ChatID: fmt.Sprint(groupID)}
	api.mu.Lock()
	api.users[group.ChatID+"/800"] = `{"status":"creator","user":{"id":800,"is_bot":false,"first_name":"Owner"},"is_anonymous":false}`
	api.users[group.ChatID+"/801"] = `{"status":"administrator","user":{"id":801,"is_bot":false,"first_name":"Admin"},"can_be_edited":true,
		"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_restrict_members":true,"can_promote_members":false}`
	api.users[group.ChatID+"/802"] = `{"status":"left","user":{"id":802,"is_bot":false,"first_name":"Gone"}}`
	api.mu.Unlock()
	for _, tc := range []struct {
		name string
		r    *pb.SetRole
		code pb.ErrorCode
		says string
	}{
		{"owner given", &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_OWNER, Role: pb.Role_ROLE_MODERATOR}, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "ownership"},
		{"owner demoted", &pb.SetRole{UserId: "800", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_PARTICIPANT}, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "owns the group"},
		{"admin muted", &pb.SetRole{UserId: "801", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_VISITOR}, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "cannot be kept from sending"},
		{"admin a participant", &pb.SetRole{UserId: "801", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_PARTICIPANT}, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "always a moderator"},
		{"outcast", &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_OUTCAST}, pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Kick with ban"},
		{"not in the group", &pb.SetRole{UserId: "802", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "not in the group"},
		{"not a user ID", &pb.SetRole{UserId: "bob", Affiliation: pb.Affiliation_AFFILIATION_ADMIN}, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "not a Telegram user ID"},
	} {
		err := s.SetRole(ctx, group, tc.r)
		if e := sdk.ToProto(err); e.GetCode() != tc.code || !contains(e.GetText(), tc.says) {
			t.Errorf("%s: %v, want %s saying %q", tc.name, err, tc.code, tc.says)
		}
	}
	if c := append(api.callsOf("promoteChatMember"), api.callsOf("restrictChatMember")...); len(c) != 0 {
		t.Errorf("Telegram asked for refused changes: %v", c)
	}

	// A basic group: the Bot API cannot; the room does not offer it.
	basic := sdk.Call{ChatID: fmt.Sprint(basicGroupID)}
	if l, _ := s.ChatLimits(ctx, basic.ChatID); l.Features.GroupRoles {
		t.Errorf("a basic group offers roles: %+v", l.Features)
	}
	for _, r := range []*pb.SetRole{
		{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR},
		{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_VISITOR},
	} {
		if err := s.SetRole(ctx, basic, r); errCode(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !contains(err.Error(), "supergroups") {
			t.Errorf("basic group %v: %v", r, err)
		}
	}
	// A basic group the bot has not seen: Telegram's refusal says it.
	unseen := sdk.Call{ChatID: "-4343"}
	if err := s.SetRole(ctx, unseen, &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_ADMIN}); errCode(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !contains(err.Error(), "supergroups") {
		t.Errorf("unseen basic group: %v", err)
	}
	// Telegram restricting an admin (seen as a member a moment ago).
	api.setRefuse("restrictChatMember", "400", "Bad Request: user is an administrator of the chat")
	if err := s.SetRole(ctx, group, &pb.SetRole{UserId: "704", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_VISITOR}); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !contains(err.Error(), "admin") {
		t.Errorf("Telegram's refusal to mute an admin: %v", err)
	}
}

// Without the rights, Telegram's "not enough rights" names the one the
// bot needs; without both, the room does not offer roles.
func TestXSetRoleBotNoRights(t *testing.T) {
	api, _, s := roleSession(t, false, true)
	ctx := context.Background()
	group := sdk.Call{ChatID: fmt.Sprint(groupID)}
	api.setRefuse("promoteChatMember", "400", "Bad Request: not enough rights")
	err := s.SetRole(ctx, group, &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR})
	if errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !contains(err.Error(), "can_promote_members") || !contains(err.Error(), "not enough rights") {
		t.Errorf("promote without the right: %v", err)
	}
	api.setRefuse("restrictChatMember", "400", "Bad Request: not enough rights to restrict/unrestrict chat member")
	err = s.SetRole(ctx, group, &pb.SetRole{UserId: "701", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_VISITOR})
	if errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !contains(err.Error(), "can_restrict_members") {
		t.Errorf("mute without the right: %v", err)
	}

	_, _, s2 := roleSession(t, false, false)
	if l, _ := s2.ChatLimits(ctx, group.ChatID); l.Features.GroupRoles {
		t.Errorf("a supergroup where the bot may neither promote nor restrict offers roles: %+v", l.Features)
	}
}
