package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Someone adds the user to a group without the user's profile key:
// Signal makes the user a pending member (invited), who must accept on
// the phone before the group's messages come. The user is told, in the
// inviter's chat, by whom, to which group and what to do; before, the
// update was told as a removal from a room the gateway did not have,
// so nothing at all, and the group stayed out of sight.
func TestGroupInvitationTold(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Book club",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}},
		Pending: []fakesignal.Member{{Number: alice, UUID: aliceACI}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}})
	ev := s.next(func(ev *pb.Event) bool {
		return ev.GetChatRemoved() != nil || strings.Contains(ev.GetMessage().GetText(), "invited")
	})
	if ev.GetChatRemoved() != nil || ev.ChatId != bob || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT ||
		!strings.Contains(ev.GetMessage().Text, "Book club") || !strings.Contains(ev.GetMessage().Text, "on your phone") {
		t.Fatalf("an invitation to a group: %v, want a notice in bob's chat naming the group and what to do", ev)
	}
}
