package signal_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A member's invitation of others (added without their profile key,
// pending until they accept) is told in the room as Signal's apps tell
// it, "Bob invited 1 person to the group.", naming no invitee; the
// user's own from the phone names them. Before, the update said
// nothing: the room's members do not change.
func TestOthersInvitationsTold(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	dave, daveACI := "+15550000009", fakesignal.NewUUID()
	erin, erinACI := "+15550000010", fakesignal.NewUUID()
	update := func(from, fromACI string, pending ...fakesignal.Member) int64 {
		t.Helper()
		return updateGroup(t, d, gid, from, fromACI, func(g *fakesignal.Group) { g.Pending = append(g.Pending, pending...) })
	}

	at := update(bob, bobACI, fakesignal.Member{Number: dave, UUID: daveACI})
	ev := s.next(isRoomNotice(group, "invited"))
	if text := ev.GetMessage().GetText(); !strings.Contains(text, bob) || !strings.Contains(text, "invited 1 person") ||
		strings.Contains(text, dave) || ev.TimestampUnixMicro != at*1000 || ev.EventId == "" {
		t.Fatalf("bob's invitation of dave: %v, want the room saying bob invited 1 person, at the update's time", ev)
	}

	update(alice, aliceACI, fakesignal.Member{Number: erin, UUID: erinACI})
	ev = s.next(isRoomNotice(group, "invited"))
	if text := ev.GetMessage().GetText(); !strings.HasPrefix(text, "You invited ") || !strings.Contains(text, erin) {
		t.Fatalf("the user's invitation of erin from the phone: %v, want it naming erin", ev)
	}
}

// An invitation of someone else that ends without them joining is told
// in the room as Signal's apps tell it: withdrawn by a member, "Bob
// revoked an invitation to the group." (by the user from the phone,
// naming the invitee, as the user's invitation does); declined by the
// invitee, "Someone declined an invitation to the group." (an invitee
// has not accepted to be seen there). Before, the room said nothing.
func TestOthersInvitationsEndedTold(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	dave, daveACI := "+15550000009", fakesignal.NewUUID()
	erin, erinACI := "+15550000010", fakesignal.NewUUID()
	frank, frankACI := "+15550000011", fakesignal.NewUUID()
	update := func(from, fromACI string, change func(g *fakesignal.Group)) int64 {
		t.Helper()
		return updateGroup(t, d, gid, from, fromACI, change)
	}
	without := func(number string) func(g *fakesignal.Group) {
		return func(g *fakesignal.Group) {
			g.Pending = slices.DeleteFunc(g.Pending, func(m fakesignal.Member) bool { return m.Number == number })
		}
	}
	update(bob, bobACI, func(g *fakesignal.Group) {
		g.Pending = append(g.Pending, fakesignal.Member{Number: dave, UUID: daveACI}, fakesignal.Member{Number: erin, UUID: erinACI},
			fakesignal.Member{Number: frank, UUID: frankACI})
	})
	s.next(isRoomNotice(group, "invited 3 people"))

	at := update(bob, bobACI, without(dave))
	ev := s.next(isRoomNotice(group, "revoked"))
	if text := ev.GetMessage().GetText(); !strings.Contains(text, bob) || !strings.Contains(text, "revoked an invitation to the group") ||
		strings.Contains(text, dave) || ev.TimestampUnixMicro != at*1000 || ev.EventId == "" {
		t.Fatalf("bob's invitation of dave withdrawn: %v, want the room saying bob revoked an invitation", ev)
	}

	update(erin, erinACI, without(erin))
	if ev := s.next(isRoomNotice(group, "declined")); ev.GetMessage().GetText() != "Someone declined an invitation to the group." {
		t.Fatalf("erin declining: %v", ev)
	}

	update(alice, aliceACI, without(frank))
	if ev := s.next(isRoomNotice(group, "revoked")); !strings.HasPrefix(ev.GetMessage().GetText(), "You revoked the invitation of ") ||
		!strings.Contains(ev.GetMessage().GetText(), frank) {
		t.Fatalf("the user withdrawing frank's invitation from the phone: %v, want it naming frank", ev)
	}
}

// updateGroup changes alice's group gid with change, a new revision, and
// delivers its update at the fake's time, which it returns: from bob's
// (or whoever's) device as theirs, from alice's phone as a sync.
func updateGroup(t *testing.T, d *fakesignal.Daemon, gid, from, fromACI string, change func(g *fakesignal.Group)) int64 {
	t.Helper()
	g, _ := d.GetGroup(alice, gid)
	change(&g)
	g.Revision++
	d.SetGroup(alice, g)
	at := d.Now()
	dm := fakesignal.DataMessage{Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}
	if from == alice {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: alice, SourceUUID: aliceACI, SourceDevice: 1, Timestamp: at,
			SyncMessage: &fakesignal.SyncMessage{SentMessage: &fakesignal.SentMessage{DataMessage: dm}}})
	} else {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, Timestamp: at, DataMessage: &dm})
	}
	return at
}
