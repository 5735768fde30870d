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

// A read of a group whose answer arrives after a newer one (a slow
// ChatInfo, or the groups read at a connection, beside a group update)
// does not replace what the newer read told: else the next update is
// compared with the stale group, and a change of what the user may do
// there, beside a member joining, is not told. This is how
// TestGroupPermissionsLive failed once in a loaded run.
func TestGroupStaleReadKept(t *testing.T) {
	d, _ := startFake(t)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Club",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)
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
		s.next(func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return ev.ChatId == group && c.GetFeatures() != nil && c.Features.GetGroupTopic() == topic
		})
	}
	// A ChatInfo read before the details turn admins-only, answered after.
	read, release := d.HoldNext("listGroups", "groupId")
	defer release()
	info := make(chan error, 1)
	go func() {
		ctx, cancel := s.p.CallContext()
		defer cancel()
		_, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group})
		info <- err
	}()
	<-read
	change(func(g *fakesignal.Group) { g.OnlyAdminsEdit = true })
	chatWith("details turned admins-only", false)
	release()
	if err := <-info; err != nil {
		t.Fatal(err)
	}
	change(func(g *fakesignal.Group) {
		g.OnlyAdminsEdit = false
		g.Members = append(g.Members, fakesignal.Member{Number: carol, UUID: carolACI})
	})
	chatWith("details open again beside a new member", true)
}
