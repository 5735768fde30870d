package signal_test

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// The user out of a group is told with why: left on the phone (LEFT:
// the room says the user left, not that they were kicked), banned by an
// admin (BANNED), removed (KICKED).
func TestChatRemovedReasons(t *testing.T) {
	d, gid := startFake(t)
	second, third := fakesignal.NewGroupID(), fakesignal.NewGroupID()
	for _, id := range []string{second, third} {
		d.SetGroup(alice, fakesignal.Group{ID: id, Name: "More friends",
			Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI, Admin: true}}})
	}
	s := newSession(t, d)
	without := func(id string, ban bool) {
		t.Helper()
		g, _ := d.GetGroup(alice, id)
		g.Members = slices.DeleteFunc(g.Members, func(m fakesignal.Member) bool { return m.Number == alice })
		if ban {
			g.Banned = append(g.Banned, fakesignal.Member{Number: alice, UUID: aliceACI})
		}
		g.Revision++
		d.SetGroup(alice, g) // signal-cli keeps the group, the account no member
	}
	removed := func(chat string) *pb.ChatRemovedEvent {
		t.Helper()
		return s.next(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil && ev.ChatId == chat }).GetChatRemoved()
	}

	// Alice leaves the first group on her phone.
	without(gid, false)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SyncMessage: &fakesignal.SyncMessage{
		SentMessage: &fakesignal.SentMessage{DataMessage: fakesignal.DataMessage{GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "UPDATE"}}}}})
	if r := removed(hexGroup(gid)); r.Reason != pb.ChatRemovedEvent_REASON_LEFT {
		t.Errorf("left on the phone: %v, want LEFT", r)
	}
	// Bob bans her from the second, removes her from the third.
	without(second, true)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: second, Type: "UPDATE"}}})
	if r := removed(hexGroup(second)); r.Reason != pb.ChatRemovedEvent_REASON_BANNED {
		t.Errorf("banned: %v, want BANNED", r)
	}
	without(third, false)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: third, Type: "UPDATE"}}})
	if r := removed(hexGroup(third)); r.Reason != pb.ChatRemovedEvent_REASON_KICKED {
		t.Errorf("removed: %v, want KICKED", r)
	}
}
