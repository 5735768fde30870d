package signal_test

import (
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
