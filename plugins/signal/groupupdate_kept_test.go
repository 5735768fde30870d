package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group's update that signal-cli could not give the group for (a
// passing failure) is not lost: its envelope stays in the inbox, and
// the change is told at the next start. (Before: dropped; the group
// read again at the reconnection told the host nothing.)
func TestGroupUpdateKeptWhenUnread(t *testing.T) {
	d, gid, s, group := groupKnown(t)

	g, _ := d.GetGroup(alice, gid)
	g.Name, g.Revision = "renamed", g.Revision+1
	d.SetGroup(alice, g)
	d.FailNext("listGroups", -3, "Failed to read the group: network failure")
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	s.next(isText("marker")) // the update was handled (in order)

	s.crash()
	ev := s.next(func(ev *pb.Event) bool { return ev.ChatId == group && ev.GetChat().GetChat().GetName() == "renamed" })
	if ev.Sender.GetUserId() != carol {
		t.Errorf("the rename told from %v, want carol", ev.Sender)
	}
}
