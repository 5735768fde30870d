package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// isRoomNotice matches a message of the room itself (no sender) in chat
// that says each of says.
func isRoomNotice(chat string, says ...string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		if ev.ChatId != chat || ev.GetMessage() == nil || ev.GetSender().GetUserId() != "" {
			return false
		}
		for _, x := range says {
			if !strings.Contains(ev.GetMessage().Text, x) {
				return false
			}
		}
		return true
	}
}

// Adding from XMPP a contact whose profile key signal-cli lacks only
// invites them (Signal's pending members): no member comes to the room,
// so a notice from the room says they are only invited and why. Before,
// the invitation answered as done and nothing came: the user was left
// to wonder.
func TestInviteOnlyInvitedTold(t *testing.T) {
	d, gid := startFake(t)
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	s := newSession(t, d)
	group := hexGroup(gid)
	if res := s.do(group, &pb.Invite{UserId: erin}); res.Error != nil {
		t.Fatalf("invite: %v", res.Error)
	}
	if g, _ := d.GetGroup(alice, gid); len(g.Pending) != 1 {
		t.Fatalf("the fake did not only invite erin: %v", g)
	}
	s.next(isRoomNotice(group, erin, "only invited", "accept"))
}

// A group created from XMPP tells in its room who asked for is not in
// and why: not on Signal, only invited. Before, only the log said so.
func TestCreateChatMembersOutTold(t *testing.T) {
	d, _ := startFake(t)
	const stranger = "+15550000009" // not on Signal
	d.Fail(stranger, "UNREGISTERED_FAILURE")
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	s := newSession(t, d)
	res := s.do("", &pb.CreateChat{Name: "Picnic", MemberIds: []string{bob, stranger, erin}})
	if res.Error != nil || res.ChatId == "" {
		t.Fatalf("create: %v", res)
	}
	s.next(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == res.ChatId })
	ev := s.next(isRoomNotice(res.ChatId, stranger+" is not on Signal", erin+" is only invited"))
	if strings.Contains(ev.GetMessage().Text, bob) {
		t.Fatalf("the notice names bob, who is in: %q", ev.GetMessage().Text)
	}
}

// An invitation Signal took whose group cannot be read afterwards (a
// passing trouble of signal-cli's listGroups) is done, and the log says
// the room was not told who is only invited. Before, the read's error
// was dropped without a word.
func TestInviteGroupUnreadLogged(t *testing.T) {
	d, gid := startFake(t)
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	s := newSession(t, d)
	waitGroupsRead(t, d)
	// The one read after the update fails.
	d.FailNext("listGroups", -1, "listGroups broke")
	if res := s.do(hexGroup(gid), &pb.Invite{UserId: erin}); res.Error != nil {
		t.Fatalf("invite: %v", res.Error)
	}
	waitLogged(t, s, "the group unread after the invitation", "who is only invited is not told", "listGroups broke")
}

// An invitation reads the group once after the update: the read that
// reports the change to the room also says who is only invited. Before,
// it read the group a second time for that.
func TestInviteReadsGroupOnce(t *testing.T) {
	d, gid := startFake(t)
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	s := newSession(t, d)
	waitGroupsRead(t, d)
	before := d.Calls("listGroups")
	group := hexGroup(gid)
	if res := s.do(group, &pb.Invite{UserId: erin}); res.Error != nil {
		t.Fatalf("invite: %v", res.Error)
	}
	s.next(isRoomNotice(group, erin, "only invited"))
	if n := d.Calls("listGroups") - before; n != 1 {
		t.Fatalf("the invitation read the group %d times, want once", n)
	}
}
