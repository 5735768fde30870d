package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group's picture removed on a phone after the plugin restarted reaches
// the room: the restarted plugin has seen no picture yet, and "none seen"
// is not "none" (the gateway still shows the picture it fetched before).
func TestGroupPictureRemovedAfterRestart(t *testing.T) {
	d, gid := startFake(t)
	g, _ := d.GetGroup(alice, gid)
	g.Avatar = []byte("\x89PNG\r\n\x1a\n a group picture")
	d.SetGroup(alice, g)
	s := newSession(t, d)
	group := hexGroup(gid)
	// The gateway fetches the room's picture once (its vCard).
	ctx, cancel := s.p.CallContext()
	c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group, WithAvatar: true})
	cancel()
	if err != nil || len(c.Avatar) == 0 {
		t.Fatalf("the group's picture: %v %v", c, err)
	}
	s.crash()

	// Bob removes the picture; then a text, to know the update was read.
	g, _ = d.GetGroup(alice, gid)
	g.Avatar = nil
	g.Revision++
	d.SetGroup(alice, g)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the picture"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
	ev := s.next(func(ev *pb.Event) bool {
		return (ev.ChatId == group && ev.GetChat().GetChat().GetNoAvatar()) || ev.GetMessage().GetText() == "after the picture"
	})
	if !ev.GetChat().GetChat().GetNoAvatar() {
		t.Fatalf("the picture's removal after a restart was not told: %v", ev)
	}
	if ev.Sender.GetUserId() != bob {
		t.Errorf("the removal told from %v, want bob", ev.Sender)
	}
}
