package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A request to join by the group's link (a group whose admins approve
// newcomers) is told in the room, as Signal's apps show it, with how to
// answer it: an invitation to the room approves it (signal-cli's
// updateGroup adding the member). Before, nothing said it, and the
// admins on XMPP never knew someone waited.
func TestJoinRequestTold(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	dave, daveACI := "+15550000009", fakesignal.NewUUID()

	g, _ := d.GetGroup(alice, gid)
	g.Requesting = append(g.Requesting, fakesignal.Member{Number: dave, UUID: daveACI})
	g.Revision++
	d.SetGroup(alice, g)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: dave, SourceUUID: daveACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	ev := s.next(isRoomNotice(group, dave, "asks to join", "inviting"))
	if ev.EventId == "" || ev.TimestampUnixMicro != at*1000 {
		t.Fatalf("the request's notice: %v, want an ID and the update's time", ev)
	}

	if res := s.do(group, &pb.Invite{UserId: dave}); res.Error != nil {
		t.Fatalf("invite (approve): %v", res.Error)
	}
	if g, _ := d.GetGroup(alice, gid); len(g.Requesting) != 0 || len(g.Members) != 4 {
		t.Fatalf("the request not approved: %+v", g)
	}
}

// A request to join made while the gateway was down (a request sends
// the members no message: the apps read it from the group's state) is
// told from the group's requests at the next connection, once: not
// again after a restart. Before, it was never told.
func TestJoinRequestWhileDownTold(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	dave, daveACI := "+15550000009", fakesignal.NewUUID()
	erin, erinACI := "+15550000010", fakesignal.NewUUID() // sorts after dave

	g, _ := d.GetGroup(alice, gid)
	g.Requesting = append(g.Requesting, fakesignal.Member{Number: dave, UUID: daveACI})
	g.Revision++
	d.SetGroup(alice, g)
	s.crash()
	ev := s.next(isRoomNotice(group, "asks to join"))
	if !strings.Contains(ev.GetMessage().GetText(), dave) || ev.EventId == "" {
		t.Fatalf("after a restart: %v, want dave's request told", ev)
	}
	s.evs.Ack(ev.Seq) // as the gateway does: not sent again for want of it

	// Another request while down: erin's is told, dave's not again (it
	// would come first: the requests are told in their IDs' order).
	g, _ = d.GetGroup(alice, gid)
	g.Requesting = append(g.Requesting, fakesignal.Member{Number: erin, UUID: erinACI})
	g.Revision++
	d.SetGroup(alice, g)
	s.crash()
	// The notice before, if its ack did not reach the plugin before the
	// kill, comes again under its seq: no new telling.
	told := ev.Seq
	if ev := s.next(func(ev *pb.Event) bool {
		return isRoomNotice(group, "asks to join")(ev) && ev.Seq > told
	}); !strings.Contains(ev.GetMessage().GetText(), erin) {
		t.Fatalf("after a second restart: %v, want erin's request told, dave's not again", ev)
	}
}
