package whatsapp

import (
	"context"
	"errors"
	"slices"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
)

// A group's invitation link in ChatInfo: an admin gets it; so does a
// member where members may add others; a member of a group where only
// admins may gets none and WhatsApp is not asked; ChatList never asks.
func TestChatInfoInviteLink(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	open := types.NewJID("120363000000000002", types.GroupServer)
	closed := types.NewJID("120363000000000003", types.GroupServer)
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone, IsAdmin: true}, {JID: bob, PhoneNumber: bob}}})
	fake.AddLink("AbCdEf123", &types.GroupInfo{JID: group})
	fake.SetGroup(&types.GroupInfo{JID: open, GroupName: types.GroupName{Name: "Open"}, MemberAddMode: types.GroupMemberAddModeAllMember,
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: bob, PhoneNumber: bob, IsSuperAdmin: true}}})
	fake.SetGroup(&types.GroupInfo{JID: closed, GroupName: types.GroupName{Name: "Closed"}, MemberAddMode: types.GroupMemberAddModeAdmin,
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: bob, PhoneNumber: bob, IsSuperAdmin: true}}})

	for _, tc := range []struct {
		jid  types.JID
		want string
	}{
		{group, "https://chat.whatsapp.com/AbCdEf123"},
		{open, "https://chat.whatsapp.com/Fake120363000000000002"},
		{closed, ""},
	} {
		c, err := s.ChatInfo(ctx, tc.jid.String())
		if err != nil || c.InviteLink != tc.want {
			t.Errorf("%s: link %q, %v; want %q", tc.jid, c.GetInviteLink(), err, tc.want)
		}
	}
	if asked := fake.InviteLinkAsks(); !slices.Equal(asked, []types.JID{group, open}) {
		t.Errorf("links asked: %v", asked)
	}
	// Asked all the same, WhatsApp (here the fake) refuses the member.
	if _, err := fake.GetGroupInviteLink(ctx, closed, false); !errors.Is(err, whatsmeow.ErrGroupInviteLinkUnauthorized) || !errors.Is(err, whatsmeow.ErrIQNotAuthorized) {
		t.Errorf("the fake gives a member the link: %v", err)
	}

	chats, err := s.ChatList(ctx)
	if err != nil || len(chats) != 3 {
		t.Fatalf("ChatList: %v, %v", chats, err)
	}
	for _, c := range chats {
		if c.InviteLink != "" {
			t.Errorf("a link in ChatList: %v", c)
		}
	}
	if asked := fake.InviteLinkAsks(); len(asked) != 3 {
		t.Errorf("ChatList asked for links: %v", asked)
	}
}

// WhatsApp refusing the link, or failing to answer, leaves the link empty
// and the rest of ChatInfo's answer whole.
func TestChatInfoInviteLinkError(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone, IsAdmin: true}, {JID: bob, PhoneNumber: bob}}})
	for _, e := range []error{
		whatsmeow.ErrIQNotAuthorized, // demoted since the group was read
		whatsmeow.ErrIQInternalServerError,
		errors.New("websocket closed"),
	} {
		fake.InviteLinkErr = e
		c, err := s.ChatInfo(ctx, group.String())
		if err != nil || c.InviteLink != "" || c.Name != "Friends" || len(c.Members) != 2 {
			t.Errorf("%v: %v, %v", e, c, err)
		}
	}
	if n := len(fake.InviteLinkAsks()); n != 3 {
		t.Errorf("asked %d times, want 3", n)
	}
}
