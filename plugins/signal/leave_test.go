package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Leaving a group the user is no longer in (removed while the gateway
// did not see the update, or left on the phone) succeeds, so the room
// goes: signal-cli refuses its quitGroup as not a member, which was
// the leave's error, and the room stayed, every /leave refused.
func TestLeaveGroupAlreadyOut(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	g, _ := d.GetGroup(alice, gid)
	g.Members = []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: carol, UUID: carolACI}}
	d.SetGroup(alice, g) // removed, no update seen
	if res := s.do(hexGroup(gid), &pb.LeaveChat{}); res.Error != nil {
		t.Fatalf("leaving a group the user is no longer in: %v, want it done", res.Error)
	}
	// A group the user is in is left as before.
	other := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: other, Name: "Other", Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI, Admin: true}}})
	if res := s.do(hexGroup(other), &pb.LeaveChat{}); res.Error != nil {
		t.Fatalf("leaving a group: %v", res.Error)
	}
	if _, ok := d.GetGroup(alice, other); ok || d.Calls("quitGroup") != 2 {
		t.Fatalf("quitGroup asked %d times, the group still there: %v", d.Calls("quitGroup"), ok)
	}
}

// Leaving a group signal-cli no longer keeps at all (its data folder
// lost it, or the group was deleted there) succeeds too, so the room
// goes: quitGroup is refused with GroupNotFoundException ("Group not
// found: ..."), which is no error of the user's leave.
func TestLeaveGroupNotFound(t *testing.T) {
	d, gid := startFake(t)
	s := newSession(t, d)
	d.RemoveGroup(alice, gid)
	if res := s.do(hexGroup(gid), &pb.LeaveChat{}); res.Error != nil {
		t.Fatalf("leaving a group signal-cli does not keep: %v, want it done", res.Error)
	}
	if d.Calls("quitGroup") != 1 {
		t.Fatalf("quitGroup asked %d times, want 1", d.Calls("quitGroup"))
	}
	waitLogged(t, s, "the leave of a group not found", "left a group they were no longer in", "Group not found")
}
