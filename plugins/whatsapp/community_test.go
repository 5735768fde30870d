package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

var (
	community = types.NewJID("120363000000000100", types.GroupServer) // the parent group
	announce  = types.NewJID("120363000000000101", types.GroupServer) // its announcement group
	garden    = types.NewJID("120363000000000102", types.GroupServer) // one of its groups
)

// setCommunity puts on the fake server the community "Village" the user
// is a member of (Alice its owner): its parent group, its announcement
// group (named as the community, as WhatsApp names it) and the group
// "Gardening".
func setCommunity(t *testing.T, fake *wafake.Client) {
	t.Helper()
	members := []types.GroupParticipant{{JID: phone}, {JID: alice, IsSuperAdmin: true}}
	err := fake.SetCommunity(&types.GroupInfo{JID: community, GroupName: types.GroupName{Name: "Village"}, Participants: members},
		&types.GroupInfo{JID: announce, GroupName: types.GroupName{Name: "Village"}, GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
			GroupIsDefaultSub: types.GroupIsDefaultSub{IsDefaultSubGroup: true}, Participants: members},
		&types.GroupInfo{JID: garden, GroupName: types.GroupName{Name: "Gardening"}, Participants: members})
	if err != nil {
		t.Fatal(err)
	}
}

// A community is no room: its groups are, named after it, its
// announcement group "Village › Announcements" and read-only for a
// member who is not an admin.
func TestCommunityGroups(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setCommunity(t, fake)

	// Asked first for a group, the community is looked up.
	c, err := s.ChatInfo(ctx, garden.String())
	if err != nil || c.Name != "Village › Gardening" || c.ReadOnly || c.Type != pb.ChatType_CHAT_TYPE_GROUP {
		t.Fatalf("ChatInfo of the community's group: %v, %v", c, err)
	}
	if _, err := s.ChatInfo(ctx, community.String()); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("ChatInfo of the community itself: %v", err)
	}

	chats, err := s.ChatList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*pb.Chat{}
	for _, c := range chats {
		byID[c.ChatId] = c
	}
	if len(chats) != 2 || byID[community.String()] != nil {
		t.Fatalf("ChatList offers the community or misses a group: %v", chats)
	}
	if c := byID[garden.String()]; c.GetName() != "Village › Gardening" || c.ReadOnly {
		t.Errorf("the community's group: %v", c)
	}
	if c := byID[announce.String()]; c.GetName() != "Village › Announcements" || !c.ReadOnly || len(c.Members) != 2 {
		t.Errorf("the announcement group: %v", c)
	}
	if l, _ := s.ChatLimits(ctx, announce.String()); !l.ReadOnly {
		t.Error("the announcement group's limits: not read-only")
	}

	// WhatsApp telling of the community (the user added to it, its
	// picture) makes no room of it.
	from := r.host.count()
	parent, err := fake.GetGroupInfo(ctx, community)
	if err != nil || !parent.IsParent {
		t.Fatalf("the fake's community: %+v, %v", parent, err)
	}
	fake.Emit(&events.JoinedGroup{Reason: "add", GroupInfo: *parent})
	fake.Emit(&events.Picture{JID: community, Author: alice, PictureID: "cp1", Timestamp: time.Now()})
	fake.Emit(&events.GroupInfo{JID: community, Sender: &alice, Timestamp: when, Topic: &types.GroupTopic{Topic: "our village", TopicSetBy: alice}})
	for _, ev := range r.host.since(from) {
		if ev.ChatId == community.String() || ev.GetChat().GetChat().GetChatId() == community.String() {
			t.Errorf("an event of the community: %v", ev)
		}
	}
}

// Names follow the community: renamed, its groups' rooms are; a group
// linked to it or unlinked from it takes or loses its name; renaming a
// group from its room renames the group, not the community.
func TestCommunityRenamesAndLinks(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setCommunity(t, fake)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	named := func(chat types.JID, name string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.ChatId == chat.String() && ev.GetChat().GetChat().GetName() == name
		}
	}

	from := r.host.count()
	if err := fake.RenameGroup(community, alice, "Hamlet"); err != nil {
		t.Fatal(err)
	}
	ev, _ := r.host.next(t, from, named(garden, "Hamlet › Gardening"))
	if ev.Sender.GetUserId() != "+33611111111" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || len(ev.GetChat().Chat.Members) != 2 {
		t.Errorf("the group's rename: %v", ev)
	}
	ev, _ = r.host.next(t, from, named(announce, "Hamlet › Announcements"))
	if !ev.GetChat().Chat.ReadOnly {
		t.Errorf("the announcement group's rename: %v", ev)
	}

	if err := fake.RenameGroup(garden, alice, "Vegetables"); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, from, named(garden, "Hamlet › Vegetables"))

	if err := fake.UnlinkSubGroup(community, garden, alice); err != nil {
		t.Fatal(err)
	}
	r.host.next(t, from, named(garden, "Vegetables"))
	if c, err := s.ChatInfo(ctx, garden.String()); err != nil || c.Name != "Vegetables" {
		t.Errorf("ChatInfo once unlinked: %v, %v", c, err)
	}
	if err := fake.LinkSubGroup(community, garden, alice); err != nil {
		t.Fatal(err)
	}
	_, linked := r.host.next(t, from, named(garden, "Hamlet › Vegetables"))
	last := ""
	for _, ev := range r.host.since(from) {
		if ev.ChatId == community.String() {
			t.Errorf("an event of the community: %v", ev)
		}
		if ev.ChatId == garden.String() && ev.GetChat() != nil {
			last = ev.GetChat().Chat.Name
		}
	}
	if last != "Hamlet › Vegetables" || linked < 0 {
		t.Errorf("linked again, the room is last named %q", last)
	}

	// The room's name as shown, changed, renames the group alone.
	if err := s.SetChatName(ctx, sdk.Call{ChatID: garden.String()}, "Hamlet › Veg"); err != nil {
		t.Fatal(err)
	}
	if g := fake.Group(garden); g.Name != "Veg" {
		t.Errorf("renamed from XMPP: %q", g.Name)
	}
	if g := fake.Group(community); g.Name != "Hamlet" {
		t.Errorf("the community renamed from a group's room: %q", g.Name)
	}
}
