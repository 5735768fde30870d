package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// In a group WhatsApp addresses by LID (most groups now), its
// notifications name the user by their own LID: the user removed is the
// room gone (kicked), the user promoted is the user, not a stranger
// "lid-..." member.
func TestGroupOwnLIDChanges(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	ownLID := s.d.dev.LID
	if ownLID.IsEmpty() {
		t.Fatal("the fake device has no LID")
	}
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: ownLID, LID: ownLID, PhoneNumber: phone},
			{JID: aliceLID, LID: aliceLID, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}

	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &aliceLID, SenderPN: &alice, Timestamp: when, Promote: []types.JID{ownLID}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMember() != nil })
	if m := ev.GetMember().GetMember(); !m.IsSelf || m.UserId != s.login.LoginID || m.Affiliation != pb.Affiliation_AFFILIATION_ADMIN {
		t.Errorf("the user promoted by LID: %v", ev)
	}

	from = r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &aliceLID, SenderPN: &alice, Timestamp: when, Leave: []types.JID{ownLID}})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil || ev.GetMember() != nil })
	if ev.GetChatRemoved().GetReason() != pb.ChatRemovedEvent_REASON_KICKED || ev.ChatId != group.String() {
		t.Errorf("the user removed by LID: %v, want the room removed (kicked)", ev)
	}
	if s.knownGroup(group) != nil {
		t.Error("the group is still described offline as one the user is in")
	}
}

// The user an admin by their own LID alone (WhatsApp giving no phone
// number beside it) may post in an announcement group and pin in a
// locked one: the room's limits say what its member list says.
func TestGroupOwnLIDAdmin(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	ownLID := s.d.dev.LID
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "News"},
		GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
		Participants: []types.GroupParticipant{
			{JID: ownLID, LID: ownLID, IsAdmin: true},
			{JID: aliceLID, LID: aliceLID, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	chats, err := s.ChatList(ctx)
	if err != nil || len(chats) != 1 {
		t.Fatalf("ChatList: %v, %v", chats, err)
	}
	if chats[0].ReadOnly {
		t.Fatalf("the room is read-only for its admin: %v", chats[0])
	}
	lim, err := s.ChatLimits(ctx, group.String())
	if err != nil || lim.ReadOnly {
		t.Errorf("ChatLimits of a group the user is an admin of by LID: %+v, %v", lim, err)
	}
}

// A join WhatsApp tells of someone the cached group has already (its
// info read after the add and before the notification, or the
// notification delivered again after a reconnection) is no second
// member; a removal naming a member by LID where the group's info
// named them by phone number (or the other way round) removes them.
func TestGroupCachedMembersOnce(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone, IsAdmin: true},
			{JID: alice, PhoneNumber: alice, LID: aliceLID},
			{JID: bob, PhoneNumber: bob},
		},
	})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	fake.Emit(&events.GroupInfo{JID: group, Sender: &phone, Timestamp: when, Join: []types.JID{bob}})
	fake.Emit(&events.GroupInfo{JID: group, Sender: &phone, Timestamp: when, Join: []types.JID{bob}})
	fake.Emit(&events.GroupInfo{JID: group, Sender: &aliceLID, Timestamp: when, Leave: []types.JID{aliceLID}})
	c := s.knownGroup(group)
	if c == nil {
		t.Fatal("group not kept")
	}
	var ids []string
	for _, m := range c.Members {
		ids = append(ids, m.UserId)
	}
	if len(ids) != 2 || ids[0] != "+33600000000" || ids[1] != "+33622222222" {
		t.Errorf("members kept: %v, want the user and Bob, once each", ids)
	}
}

// The user made an admin of an announcement group may post in its room
// at once, and no more once demoted: the room's read_only changes with
// the user's role (a ChatEvent; the gateway refuses a post in a
// read-only room itself).
func TestGroupOwnPromotionReadOnly(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "News"}, GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone},
			{JID: alice, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	chats, err := s.ChatList(ctx)
	if err != nil || len(chats) != 1 || !chats[0].ReadOnly {
		t.Fatalf("ChatList: %v, %v", chats, err)
	}
	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Promote: []types.JID{phone}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if c := ev.GetChat().GetChat(); c.ReadOnly || c.Name != "News" || len(c.Members) != 2 {
		t.Errorf("after the user's promotion: %v", c)
	}
	from = r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Demote: []types.JID{phone}})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if c := ev.GetChat().GetChat(); !c.ReadOnly {
		t.Errorf("after the user's demotion: %v", c)
	}
}
