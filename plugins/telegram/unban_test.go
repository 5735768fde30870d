package telegram

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Lifting a ban from XMPP on the fake Telegram: in a supergroup,
// channels.editBanned with no right takes the banned person off the ban
// list without adding them back; someone not banned is left alone (a
// muted member stays muted: no request at all). A basic group has no ban
// list: nothing to do, no error. A private chat has none either; where
// the user is no admin, Telegram's refusal is not-allowed.
func TestUnbanLive(t *testing.T) {
	srv := newFake(t)
	srv.AddUser(dave)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID, carol.ID, dave.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 620, Title: "Strict", Members: []int64{alice.ID, bob.ID, dave.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the rooms, as the gateway makes them
		t.Fatal(err)
	}
	club := sdk.Call{ChatID: "-100610"}
	if f, _ := sdk.Features(s, nil); !f.GroupUnban {
		t.Errorf("features %v: no group_unban", f)
	}

	from := h.count()
	if err := s.Kick(ctx, club, &pb.Kick{UserId: "1004", Ban: true}); err != nil {
		t.Fatal(err)
	}
	// Telegram's removal (an update, with its message ID) reads as a
	// kick, or as the ban itself when it came before the answer
	// (ownbans.go): either way he is out.
	h.wait(t, from, "dave removed", func(ev *pb.Event) bool {
		return ev.EventId != "" && (isMember("-100610", pb.MemberEvent_KIND_KICKED, "1004")(ev) ||
			isMember("-100610", pb.MemberEvent_KIND_BANNED, "1004")(ev))
	})
	if c := srv.ChannelInfo(610); !slices.Contains(c.Banned, dave.ID) {
		t.Fatalf("after the ban: banned %v, want dave", c.Banned)
	}
	if err := s.Unban(ctx, club, "1004"); err != nil {
		t.Fatalf("unban: %v", err)
	}
	if c := srv.ChannelInfo(610); slices.Contains(c.Banned, dave.ID) || slices.Contains(c.Members, dave.ID) {
		t.Errorf("after the unban: members %v, banned %v; want dave in neither", c.Members, c.Banned)
	}

	// Members are not banned: nothing is asked of Telegram, and a mute
	// stays.
	if err := s.SetRole(ctx, club, &pb.SetRole{UserId: "1003", Affiliation: pb.Affiliation_AFFILIATION_MEMBER, Role: pb.Role_ROLE_VISITOR}); err != nil {
		t.Fatal(err)
	}
	edits := srv.Requests("channels.editBanned")
	for _, who := range []string{"1002", "1003"} {
		if err := s.Unban(ctx, club, who); err != nil {
			t.Errorf("unban of member %s: %v", who, err)
		}
	}
	if n := srv.Requests("channels.editBanned"); n != edits {
		t.Errorf("%d editBanned for members who were not banned", n-edits)
	}
	if c := srv.ChannelInfo(610); !slices.Contains(c.Restricted, carol.ID) {
		t.Errorf("carol's mute lifted by an unban: restricted %v", c.Restricted)
	}

	// No ban list: a basic group (no request), a private chat.
	if err := s.Unban(ctx, sdk.Call{ChatID: "-77"}, "1002"); err != nil {
		t.Errorf("unban in a basic group: %v", err)
	}
	if n := srv.Requests("channels.editBanned"); n != edits {
		t.Errorf("an editBanned for a basic group")
	}
	wantCode(t, "unban in a private chat", s.Unban(ctx, sdk.Call{ChatID: "1002"}, "1004"), pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "private chat")
	wantCode(t, "unban where alice is no admin", s.Unban(ctx, sdk.Call{ChatID: "-100620"}, "1003"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "CHAT_ADMIN_REQUIRED")
}
