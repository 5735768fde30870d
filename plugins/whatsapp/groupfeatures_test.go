package whatsapp

import (
	"context"
	"testing"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// wantFeatures checks what f allows of what a group's settings may keep
// for its admins, and that it forbids nothing else (reactions).
func wantFeatures(t *testing.T, what string, f *pb.Features, name, invite, kick bool) {
	t.Helper()
	if f == nil {
		t.Errorf("%s: no features", what)
		return
	}
	if f.GroupName != name || f.GroupTopic != name || f.GroupAvatar != name {
		t.Errorf("%s: rename, topic, picture %v %v %v, want %v", what, f.GroupName, f.GroupTopic, f.GroupAvatar, name)
	}
	// The same setting keeps the timer and pins for admins: the SDK
	// refuses them at once (they went to WhatsApp, refused there with a
	// text that says nothing of admins).
	if f.ChatTimer != name || f.Pin != name {
		t.Errorf("%s: timer, pin %v %v, want %v", what, f.ChatTimer, f.Pin, name)
	}
	if f.GroupInvite != invite {
		t.Errorf("%s: invite %v, want %v", what, f.GroupInvite, invite)
	}
	if f.GroupKick != kick || f.GroupRoles != kick {
		t.Errorf("%s: kick, roles %v %v, want %v", what, f.GroupKick, f.GroupRoles, kick)
	}
	if !f.Reactions || !f.Replies || !f.LeaveChat || !f.PollCreate || !f.PollVote || f.SingleReaction || f.MaxReactions != 0 {
		t.Errorf("%s: more narrowed than the group's settings: %v", what, f)
	}
}

// A member who is no admin of a group whose info only admins edit
// (locked) and where only admins add members is offered none of it: the
// chat's features say so in ChatList and ChatInfo answers and the
// limits the SDK checks commands against, so the room offers no
// configuration form (its name) nor subject change that WhatsApp would
// refuse; an admin of it is offered all.
func TestGroupLockedFeatures(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	other := types.NewJID("120363000000000002", types.GroupServer)
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Locked"}, GroupLocked: types.GroupLocked{IsLocked: true},
		MemberAddMode: types.GroupMemberAddModeAdmin,
		Participants:  []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice, IsSuperAdmin: true}},
	})
	fake.SetGroup(&types.GroupInfo{
		JID: other, GroupName: types.GroupName{Name: "Ours"}, GroupLocked: types.GroupLocked{IsLocked: true},
		MemberAddMode: types.GroupMemberAddModeAdmin,
		Participants:  []types.GroupParticipant{{JID: phone, PhoneNumber: phone, IsAdmin: true}, {JID: alice, PhoneNumber: alice}},
	})
	chats, err := s.ChatList(ctx)
	if err != nil || len(chats) != 2 {
		t.Fatalf("ChatList: %v, %v", chats, err)
	}
	for _, c := range chats {
		if c.ChatId == group.String() {
			wantFeatures(t, "ChatList, a member", c.Features, false, false, false)
		} else {
			wantFeatures(t, "ChatList, an admin", c.Features, true, true, true)
		}
	}
	c, err := s.ChatInfo(ctx, group.String())
	if err != nil {
		t.Fatal(err)
	}
	wantFeatures(t, "ChatInfo", c.Features, false, false, false)
	l, err := s.ChatLimits(ctx, group.String())
	if err != nil || l.ReadOnly {
		t.Fatalf("ChatLimits: %+v, %v", l, err)
	}
	wantFeatures(t, "ChatLimits", l.Features, false, false, false)
	l, _ = s.ChatLimits(ctx, other.String())
	wantFeatures(t, "ChatLimits, an admin", l.Features, true, true, true)
}

// friendsGroup is a group of the phone's and alice's, alice its owner,
// where every member may add others.
func friendsGroup() *types.GroupInfo {
	return &types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"}, MemberAddMode: types.GroupMemberAddModeAllMember,
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice, IsSuperAdmin: true}},
	}
}

// A group's settings changed, or the user made an admin or no more, the
// room's features change at once: a ChatEvent carrying them, a lifted
// limit too (the gateway keeps a chat's last features otherwise).
func TestGroupSettingsFeaturesLive(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(friendsGroup())
	chats, err := s.ChatList(ctx)
	if err != nil || len(chats) != 1 {
		t.Fatalf("ChatList: %v, %v", chats, err)
	}
	wantFeatures(t, "before", chats[0].Features, true, true, false)

	chatAfter := func(e *events.GroupInfo) *pb.Chat {
		t.Helper()
		from := r.host.count()
		fake.Emit(e)
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
		c := ev.GetChat().GetChat()
		if c.Name != "Friends" || len(c.Members) != 2 {
			t.Errorf("chat: %v", c)
		}
		return c
	}
	c := chatAfter(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Locked: &types.GroupLocked{IsLocked: true}})
	wantFeatures(t, "locked", c.Features, false, true, false)
	if l, _ := s.ChatLimits(ctx, group.String()); l.Features.GetGroupName() {
		t.Error("ChatLimits: rename allowed in a locked group")
	}
	c = chatAfter(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when,
		UnknownChanges: []*waBinary.Node{{Tag: "member_add_mode", Content: []byte("admin_add")}}})
	wantFeatures(t, "admins add", c.Features, false, false, false)
	if l, _ := s.ChatLimits(ctx, group.String()); l.Features.GetGroupInvite() {
		t.Error("ChatLimits: invite allowed where only admins add")
	}
	c = chatAfter(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Promote: []types.JID{phone}})
	wantFeatures(t, "promoted", c.Features, true, true, true)
	c = chatAfter(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Demote: []types.JID{phone}})
	wantFeatures(t, "demoted", c.Features, false, false, false)
	c = chatAfter(&events.GroupInfo{JID: group, Sender: &alice, Timestamp: when, Locked: &types.GroupLocked{IsLocked: false},
		UnknownChanges: []*waBinary.Node{{Tag: "member_add_mode", Content: []byte("all_member_add")}}})
	wantFeatures(t, "unlocked", c.Features, true, true, false)
	if l, _ := s.ChatLimits(ctx, group.String()); !l.Features.GetGroupName() || !l.Features.GetGroupInvite() {
		t.Errorf("ChatLimits after the unlock: %v", l.Features)
	}
}

// The settings notification as WhatsApp sends it (its elements encoded
// in WhatsApp's binary form and read back, then whatsmeow's own parser,
// which leaves <member_add_mode> among the unknown changes with the
// mode as its bytes) narrows and lifts the room's features as the
// modelled events do: the plugin reads what whatsmeow makes of it.
func TestGroupSettingsFromWire(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	g := friendsGroup()
	fake.SetGroup(g)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	change := func(what string, locked bool, mode types.GroupMemberAddMode, name, invite bool) {
		t.Helper()
		cp := *g
		cp.IsLocked, cp.MemberAddMode = locked, mode
		from := r.host.count()
		if err := fake.NotifyGroupSettings(&cp, alice); err != nil {
			t.Fatal(err)
		}
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChat() != nil })
		wantFeatures(t, what, ev.GetChat().GetChat().Features, name, invite, false)
		l, _ := s.ChatLimits(ctx, group.String())
		wantFeatures(t, what+", ChatLimits", l.Features, name, invite, false)
	}
	change("admins add", false, types.GroupMemberAddModeAdmin, true, false)
	change("locked, admins add", true, types.GroupMemberAddModeAdmin, false, false)
	change("unlocked, all add", false, types.GroupMemberAddModeAllMember, true, true)
}
