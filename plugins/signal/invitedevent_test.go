package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// An invitation to a group comes as an InvitedEvent of the group's chat
// besides the notice in the inviter's chat: the gateway shows it as the
// room's invitation, which the user's client offers to accept or
// decline. It names the inviter and the group; one from the group list
// the phone sends (Signal does not say who) names no inviter. Before,
// only the text notice came, which no client could answer.
func TestGroupInvitationEvent(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := invitedGroup(d)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}})
	ev := s.next(func(ev *pb.Event) bool { return ev.GetInvited() != nil })
	if ev.ChatId != hexGroup(gid) || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.GetSender().GetUserId() != bob ||
		ev.GetInvited().ChatName != "Book club" || ev.EventId == "" {
		t.Fatalf("the invitation event: %v, want bob's invitation to the group's chat, named, with an event ID", ev)
	}

	// One in the synced groups: no inviter.
	other := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: other, Name: "Choir",
		Members: []fakesignal.Member{{Number: carol, UUID: carolACI, Admin: true}},
		Pending: []fakesignal.Member{{Number: alice, UUID: aliceACI}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{Type: "GROUPS_SYNC"}})
	ev = s.next(func(ev *pb.Event) bool { return ev.GetInvited() != nil && ev.ChatId == hexGroup(other) })
	if ev.GetSender().GetUserId() != "" || ev.GetInvited().ChatName != "Choir" {
		t.Fatalf("the invitation in the synced groups: %v, want no inviter (Signal does not say), the group named", ev)
	}
}
