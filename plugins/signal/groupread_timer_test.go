package signal_test

import (
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Bob sets the group's timer while the gateway is disconnected: the
// groups read at the reconnection (or a read for a query, as here) may
// see it before the update's envelope is handled. The timer's notice is
// still told in the room. (Before: the update was compared with that
// read, which had the new timer, and no notice came.)
func TestGroupTimerSeenByAReadFirst(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	g, _ := d.GetGroup(alice, gid)
	g.Timer = 3600
	g.Revision++
	d.SetGroup(alice, g)
	if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil {
		t.Fatal(err)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the timer"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
	ev := s.next(func(ev *pb.Event) bool {
		return ev.ChatId == group && ev.GetMessage() != nil && ev.GetMessage().GetText() != "hi all"
	})
	if want := mediatext.ReadTimerText(time.Hour); ev.GetMessage().GetText() != want || ev.Sender.GetUserId() != bob {
		t.Fatalf("after bob's timer change: %v, want his notice %q (before: none)", ev, want)
	}
}
