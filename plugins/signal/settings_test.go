package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group's settings changed (who may send, edit its info, add members;
// its link on, reset, off) are told in the room as Signal's apps tell
// them, by whoever changed them, at the update's time; a member who may
// no longer send is told so. Before, the room's limits changed without
// a word: the room went read-only, and nothing said why.
func TestGroupSettingsChangesTold(t *testing.T) {
	d, _ := startFake(t)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Club",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil {
		t.Fatal(err)
	}
	change := func(from, fromACI string, edit func(*fakesignal.Group)) int64 {
		t.Helper()
		return updateGroup(t, d, gid, from, fromACI, edit)
	}
	told := func(what string, at int64, says ...string) {
		t.Helper()
		ev := s.next(isRoomNotice(group, says...))
		if ev.TimestampUnixMicro != at*1000 || ev.EventId == "" {
			t.Fatalf("%s: %v, want it at the update's time, with an ID", what, ev)
		}
	}

	at := change(bob, bobACI, func(g *fakesignal.Group) { g.OnlyAdminsSend = true })
	told("only admins send", at, bob, "changed the group settings to only allow admins to send messages.", "Your messages there are refused")
	at = change(bob, bobACI, func(g *fakesignal.Group) { g.OnlyAdminsEdit = true })
	told("only admins edit", at, bob, `changed who can edit group info to "Only admins".`)
	at = change(bob, bobACI, func(g *fakesignal.Group) { g.OnlyAdminsAdd = true })
	told("only admins add", at, bob, `changed who can edit group membership to "Only admins".`)
	at = change(bob, bobACI, func(g *fakesignal.Group) { g.Link = "https://signal.group/#CjQKIAAAA" })
	told("link on", at, bob, "turned on the group link.")
	at = change(bob, bobACI, func(g *fakesignal.Group) { g.Link = "https://signal.group/#CjQKIBBBB" })
	told("link reset", at, bob, "reset the group link.")
	at = change(bob, bobACI, func(g *fakesignal.Group) { g.Link = "" })
	told("link off", at, bob, "turned off the group link.")

	// The user, made an admin, opens sending again from the phone.
	change(bob, bobACI, func(g *fakesignal.Group) {
		for i := range g.Members {
			if g.Members[i].Number == alice {
				g.Members[i].Admin = true
			}
		}
	})
	s.next(func(ev *pb.Event) bool {
		m := ev.GetMember()
		return ev.ChatId == group && m.GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && m.GetMember().GetIsSelf()
	})
	at = change(alice, aliceACI, func(g *fakesignal.Group) { g.OnlyAdminsSend = false })
	told("the user opens sending", at, "You changed the group settings to allow all members to send messages.")

	// A change of nothing but the name says no setting changed.
	change(bob, bobACI, func(g *fakesignal.Group) { g.Name = "Club 2" })
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the rename"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	s.next(func(ev *pb.Event) bool {
		if text := ev.GetMessage().GetText(); ev.ChatId == group && ev.GetSender().GetUserId() == "" && strings.Contains(text, "changed") {
			t.Errorf("a rename told as a setting: %q", text)
		}
		return isText("after the rename")(ev)
	})
}
