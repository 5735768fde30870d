package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// hasMember reports whether an event tells that userID is in the group:
// a member joined, or a whole group listing them.
func hasMember(chatID, userID string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		if ev.ChatId != chatID {
			return false
		}
		if m := ev.GetMember(); m != nil {
			return m.Kind == pb.MemberEvent_KIND_JOINED && m.Member.GetUserId() == userID
		}
		return slices.ContainsFunc(ev.GetChat().GetChat().GetMembers(), func(m *pb.Member) bool { return m.UserId == userID })
	}
}

// A group's update whose change a read of the group saw first (the
// room's vCard or "/timer" asked while signal-cli had stored the update
// and its envelope was not read yet) still reaches the room: the read's
// answer went to the host's query, not to the room.
func TestGroupUpdateSeenByAReadFirst(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil {
		t.Fatal(err)
	}
	// Bob adds dave: signal-cli stores it, the gateway reads the group
	// for a query, then the update's envelope comes.
	g, _ := d.GetGroup(alice, gid)
	g.Members = append(g.Members, fakesignal.Member{Number: daveNum, UUID: daveACI})
	g.Revision++
	d.SetGroup(alice, g)
	if c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil || len(c.Members) != 4 {
		t.Fatalf("ChatInfo: %v %v", c, err)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after dave"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
	if ev := s.next(func(ev *pb.Event) bool { return hasMember(group, daveNum)(ev) || isText("after dave")(ev) }); ev.GetMessage() != nil {
		t.Fatalf("dave's join was never told: %v", ev)
	}

	// Then bob removes alice: a read of the group after signal-cli stored
	// it forgets the group, and the update's envelope still tells the
	// user is out.
	d.RemoveGroup(alice, gid)
	if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err == nil {
		t.Fatal("ChatInfo of a group the user is out of answered")
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after the removal")}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil || isText("after the removal")(ev) }); ev.GetChatRemoved() == nil || ev.ChatId != group {
		t.Fatalf("the user's removal was never told: %v", ev)
	}
}
