package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group the user creates on the phone comes to the linked device as
// the sync of its first update (revision 0, no text): its room appears,
// with its name and members, and the user is its admin.
func TestGroupCreatedOnPhone(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Hiking", Members: []fakesignal.Member{
		{Number: alice, UUID: aliceACI, Admin: true}, {Number: bob, UUID: bobACI}}})
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, Timestamp: at,
		SyncMessage: &fakesignal.SyncMessage{SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{
			Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: 0, Type: "UPDATE"}}}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == hexGroup(gid) })
	c := ev.GetChat().Chat
	if c.Name != "Hiking" || len(c.Members) != 2 {
		t.Fatalf("the group created on the phone: %v", c)
	}
	for _, m := range c.Members {
		if m.IsSelf && m.Affiliation != pb.Affiliation_AFFILIATION_ADMIN {
			t.Errorf("the user in the group they created: %v", m)
		}
	}
}
