package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// TestGroupPermissionsLive: a group whose details turn admins-only, or
// back, or whose admins promote the user, is told as the group's chat
// carrying what the user may do there now, so that its room stops (or
// starts again) offering the subject, the picture and the name, also
// when a member's change comes in the same update. Before, the chat's
// features came only with ChatInfo and ChatList answers: the room kept
// offering what Signal then refused.
func TestGroupPermissionsLive(t *testing.T) {
	d, _ := startFake(t)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Club",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil || !c.Features.GetGroupTopic() {
		t.Fatalf("ChatInfo of an open group: %v %v", c, err)
	}
	change := func(edit func(*fakesignal.Group)) {
		t.Helper()
		g, _ := d.GetGroup(alice, gid)
		edit(&g)
		g.Revision++
		d.SetGroup(alice, g)
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
			GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	}
	chatWith := func(what string, topic bool) {
		t.Helper()
		ev := s.next(func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return ev.ChatId == group && c.GetFeatures() != nil && c.Features.GetGroupTopic() == topic
		})
		if c := ev.GetChat().Chat; c.Features.GetGroupName() != topic || c.Features.GetGroupAvatar() != topic {
			t.Fatalf("%s: %v", what, c)
		}
	}
	change(func(g *fakesignal.Group) { g.OnlyAdminsEdit = true })
	chatWith("details turned admins-only", false)
	// Back, beside a member joining (a member event is told, so the
	// chat would not be).
	change(func(g *fakesignal.Group) {
		g.OnlyAdminsEdit = false
		g.Members = append(g.Members, fakesignal.Member{Number: carol, UUID: carolACI})
	})
	chatWith("details open again beside a new member", true)
	change(func(g *fakesignal.Group) { g.OnlyAdminsEdit = true })
	chatWith("admins-only again", false)
	change(func(g *fakesignal.Group) {
		for i := range g.Members {
			if g.Members[i].Number == alice {
				g.Members[i].Admin = true
			}
		}
	})
	chatWith("the user made an admin", true)
}
