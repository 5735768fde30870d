package telegram

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

var (
	dave = tgfake.User{ID: 1004, FirstName: "Dave", Phone: "33600000004"}
	erin = tgfake.User{ID: 1005, FirstName: "Erin", Phone: "33600000005", PrivateInvites: true}
)

// isMember accepts a member event of kind about user in chat.
func isMember(chat string, kind pb.MemberEvent_Kind, user string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		me := ev.GetMember()
		return ev.ChatId == chat && me != nil && me.Kind == kind && me.Member.GetUserId() == user
	}
}

// wantCode fails unless err is an sdk error of code whose text has
// every one of words.
func wantCode(t *testing.T, what string, err error, code pb.ErrorCode, words ...string) {
	t.Helper()
	var se *sdk.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Errorf("%s: %v, want code %v", what, err, code)
		return
	}
	for _, w := range words {
		if !strings.Contains(se.Text, w) {
			t.Errorf("%s: %q does not say %q", what, se.Text, w)
		}
	}
}

// Adding people from XMPP on the fake Telegram: to a basic group
// (messages.addChatUser) and a supergroup (channels.inviteToChannel),
// the member coming with Telegram's service message; refusals as
// Telegram gives them: already a member, privacy settings (a missing
// invitee), a group where only admins add people. A kick lets them come
// back; a ban keeps them out.
func TestInviteLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddUser(erin)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 620, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsInvite: true})
	srv.AddContact(alice.ID, dave.ID)
	srv.AddContact(alice.ID, erin.ID)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ContactList(ctx); err != nil { // as the gateway does: the invitees are contacts
		t.Fatal(err)
	}

	from := h.count()
	if err := s.Invite(ctx, sdk.Call{ChatID: "-77"}, "1004"); err != nil {
		t.Fatal(err)
	}
	ev := h.wait(t, from, "dave joining the group", isMember("-77", pb.MemberEvent_KIND_JOINED, "1004"))
	if ev.Sender.GetUserId() != "1001" || ev.GetMember().Member.GetNick() != "Dave" {
		t.Errorf("join %v: want dave, added by alice", ev)
	}
	if !slices.Contains(srv.GroupInfo(77).Members, dave.ID) {
		t.Error("dave is not in the group on Telegram")
	}
	wantCode(t, "adding dave again", s.Invite(ctx, sdk.Call{ChatID: "-77"}, "1004"), pb.ErrorCode_ERROR_CODE_CONFLICT, "already a member")
	wantCode(t, "adding erin", s.Invite(ctx, sdk.Call{ChatID: "-77"}, "1005"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Erin", "privacy", "invite link")
	if slices.Contains(srv.GroupInfo(77).Members, erin.ID) {
		t.Error("erin was added despite her privacy settings")
	}
	wantCode(t, "adding a stranger", s.Invite(ctx, sdk.Call{ChatID: "-77"}, "999"), pb.ErrorCode_ERROR_CODE_NOT_FOUND)
	wantCode(t, "adding to a private chat", s.Invite(ctx, sdk.Call{ChatID: "1002"}, "1004"), pb.ErrorCode_ERROR_CODE_BAD_REQUEST)

	from = h.count()
	if err := s.Invite(ctx, sdk.Call{ChatID: "-100610"}, "1004"); err != nil {
		t.Fatal(err)
	}
	h.wait(t, from, "dave joining the supergroup", isMember("-100610", pb.MemberEvent_KIND_JOINED, "1004"))
	if !slices.Contains(srv.ChannelInfo(610).Members, dave.ID) {
		t.Error("dave is not in the supergroup on Telegram")
	}

	// Kicked (free to come back), added again, then banned.
	from = h.count()
	if err := s.Kick(ctx, sdk.Call{ChatID: "-100610"}, &pb.Kick{UserId: "1004"}); err != nil {
		t.Fatal(err)
	}
	h.wait(t, from, "dave kicked", isMember("-100610", pb.MemberEvent_KIND_KICKED, "1004"))
	if c := srv.ChannelInfo(610); slices.Contains(c.Members, dave.ID) || slices.Contains(c.Banned, dave.ID) {
		t.Errorf("after a kick: members %v, banned %v; want dave in neither", c.Members, c.Banned)
	}
	from = h.count()
	if err := s.Invite(ctx, sdk.Call{ChatID: "-100610"}, "1004"); err != nil {
		t.Fatal(err)
	}
	h.wait(t, from, "dave back", isMember("-100610", pb.MemberEvent_KIND_JOINED, "1004"))
	if err := s.Kick(ctx, sdk.Call{ChatID: "-100610"}, &pb.Kick{UserId: "1004", Ban: true}); err != nil {
		t.Fatal(err)
	}
	if c := srv.ChannelInfo(610); slices.Contains(c.Members, dave.ID) || !slices.Contains(c.Banned, dave.ID) {
		t.Errorf("after a ban: members %v, banned %v; want dave banned", c.Members, c.Banned)
	}
	wantCode(t, "adding where only admins may", s.Invite(ctx, sdk.Call{ChatID: "-100620"}, "1004"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "admins", "CHAT_ADMIN_REQUIRED")
	if slices.Contains(srv.ChannelInfo(620).Members, dave.ID) {
		t.Error("dave was added by a member who may not")
	}
}

// Members' rights from XMPP on the fake Telegram. A basic group: admin
// named and dismissed (messages.editChatAdmin), the room learning it
// from Telegram's updateChatParticipantAdmin; no mute there. A
// supergroup: the moderator role or the admin affiliation makes an admin
// (channels.editAdmin), member takes it away, visitor mutes
// (channels.editBanned send_messages) and participant lifts it; the
// owner cannot be given nor changed; a member who is not the creator may
// not name admins.
func TestSetRoleLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID, dave.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 620, Title: "Strict", Members: []int64{alice.ID, bob.ID, dave.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the rooms, as the gateway makes them
		t.Fatal(err)
	}
	role := func(chat, user string, aff pb.Affiliation, r pb.Role) error {
		return s.SetRole(ctx, sdk.Call{ChatID: chat}, &pb.SetRole{UserId: user, Affiliation: aff, Role: r})
	}
	changed := func(from int, chat, user string, aff pb.Affiliation, r pb.Role) {
		t.Helper()
		ev := h.wait(t, from, "role change of "+user+" in "+chat, isMember(chat, pb.MemberEvent_KIND_ROLE_CHANGED, user))
		if m := ev.GetMember().Member; m.Affiliation != aff || m.Role != r {
			t.Errorf("%s in %s: %v/%v, want %v/%v", user, chat, m.Affiliation, m.Role, aff, r)
		}
	}

	// The basic group -77: carol made admin, then a member again.
	from := h.count()
	if err := role("-77", "1003", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_PARTICIPANT); err != nil {
		t.Fatal(err)
	}
	changed(from, "-77", "1003", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR)
	if !slices.Contains(srv.GroupInfo(77).Admins, carol.ID) {
		t.Error("carol is no admin on Telegram")
	}
	from = h.count()
	if err := role("-77", "1003", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_MODERATOR); err != nil {
		t.Fatal(err)
	}
	changed(from, "-77", "1003", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT)
	if slices.Contains(srv.GroupInfo(77).Admins, carol.ID) {
		t.Error("carol is still an admin on Telegram")
	}
	wantCode(t, "muting in a basic group", role("-77", "1003", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_VISITOR), pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "supergroup")
	wantCode(t, "making carol owner", role("-77", "1003", pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR), pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "password")

	// The supergroup: dave a moderator (an admin), then not.
	from = h.count()
	if err := role("-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_MODERATOR); err != nil {
		t.Fatal(err)
	}
	changed(from, "-100610", "1004", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR)
	if !slices.Contains(srv.ChannelInfo(610).Admins, dave.ID) {
		t.Fatal("dave is no admin on Telegram")
	}
	from = h.count()
	if err := role("-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_MODERATOR); err != nil {
		t.Fatal(err)
	}
	changed(from, "-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT)
	if slices.Contains(srv.ChannelInfo(610).Admins, dave.ID) {
		t.Error("dave is still an admin on Telegram")
	}

	// Muted, shown as a visitor, kept from sending; then free again.
	from = h.count()
	if err := role("-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_VISITOR); err != nil {
		t.Fatal(err)
	}
	changed(from, "-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_VISITOR)
	if !slices.Contains(srv.ChannelInfo(610).Restricted, dave.ID) {
		t.Error("dave is not restricted on Telegram")
	}
	c, err := s.ChatInfo(ctx, "-100610")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Members {
		if m.UserId == "1004" && m.Role != pb.Role_ROLE_VISITOR {
			t.Errorf("dave listed as %v, want a visitor", m.Role)
		}
	}
	before := len(srv.ChannelMessages(610))
	srv.Send(dave.ID, &tg.PeerChannel{ChannelID: 610}, "may I?")
	if len(srv.ChannelMessages(610)) != before {
		t.Error("a muted member could still send")
	}
	from = h.count()
	if err := role("-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT); err != nil {
		t.Fatal(err)
	}
	changed(from, "-100610", "1004", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT)
	if slices.Contains(srv.ChannelInfo(610).Restricted, dave.ID) {
		t.Error("dave is still restricted on Telegram")
	}

	wantCode(t, "an admin's moderator role taken", role("-77", "1002", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_PARTICIPANT), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "make them a member")
	wantCode(t, "an admin muted", role("-100610", "1004", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_VISITOR), pb.ErrorCode_ERROR_CODE_BAD_REQUEST)
	wantCode(t, "the owner demoted", role("-100610", "1001", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "owner")
	wantCode(t, "bob made owner", role("-100610", "1002", pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR), pb.ErrorCode_ERROR_CODE_UNSUPPORTED)
	wantCode(t, "a member naming an admin", role("-100620", "1004", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "CHAT_ADMIN_REQUIRED")
	if slices.Contains(srv.ChannelInfo(620).Admins, dave.ID) {
		t.Error("dave was made admin by a member who may not")
	}
	wantCode(t, "someone not in the group", role("-100620", "1003", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR), pb.ErrorCode_ERROR_CODE_NOT_FOUND)
}

// Telegram's reports of rights changes as member events: a basic group's
// admin named and dismissed; a supergroup member made admin, restricted,
// free again; a supergroup join or departure is left to its service
// message.
func TestParticipantUpdates(t *testing.T) {
	s := newSession(New(), sdk.LoginInfo{LoginID: "1001"}, saved{UserID: 1001})
	s.peers = newPeers(nil)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1003, FirstName: "Carol"}}, nil)
	one := func(u tg.UpdateClass) *pb.Event {
		t.Helper()
		evs := s.participantEvents(t.Context(), u)
		if len(evs) != 1 {
			t.Fatalf("%T: %d events, want one", u, len(evs))
		}
		return evs[0]
	}
	check := func(ev *pb.Event, chat string, aff pb.Affiliation, r pb.Role) {
		t.Helper()
		me := ev.GetMember()
		if ev.ChatId != chat || me.GetKind() != pb.MemberEvent_KIND_ROLE_CHANGED || me.Member.GetUserId() != "1003" || me.Member.GetNick() != "Carol" ||
			me.Member.Affiliation != aff || me.Member.Role != r {
			t.Errorf("event %v: want carol %v/%v in %s", ev, aff, r, chat)
		}
	}
	check(one(&tg.UpdateChatParticipantAdmin{ChatID: 77, UserID: 1003, IsAdmin: true}), "-77", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR)
	check(one(&tg.UpdateChatParticipantAdmin{ChatID: 77, UserID: 1003}), "-77", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT)
	was := &tg.ChannelParticipant{UserID: 1003}
	check(one(&tg.UpdateChannelParticipant{ChannelID: 610, UserID: 1003, PrevParticipant: was, NewParticipant: &tg.ChannelParticipantAdmin{UserID: 1003}}),
		"-100610", pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR)
	muted := &tg.ChannelParticipantBanned{Peer: &tg.PeerUser{UserID: 1003}, BannedRights: tg.ChatBannedRights{SendMessages: true}}
	check(one(&tg.UpdateChannelParticipant{ChannelID: 610, UserID: 1003, PrevParticipant: was, NewParticipant: muted}),
		"-100610", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_VISITOR)
	check(one(&tg.UpdateChannelParticipant{ChannelID: 610, UserID: 1003, PrevParticipant: muted, NewParticipant: was}),
		"-100610", pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT)
	for _, u := range []*tg.UpdateChannelParticipant{
		{ChannelID: 610, UserID: 1003, NewParticipant: was},  // a join
		{ChannelID: 610, UserID: 1003, PrevParticipant: was}, // a departure
		{ChannelID: 610, UserID: 1003, PrevParticipant: was, NewParticipant: &tg.ChannelParticipantBanned{Peer: &tg.PeerUser{UserID: 1003}, BannedRights: tg.ChatBannedRights{ViewMessages: true}}}, // a ban
	} {
		if evs := s.participantEvents(t.Context(), u); len(evs) != 0 {
			t.Errorf("%+v: %v, want none (its service message says it)", u, evs)
		}
	}
}
