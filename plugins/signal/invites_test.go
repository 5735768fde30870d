package signal_test

import (
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
		g, _ := d.GetGroup(alice, gid)
		g.Pending = append(g.Pending, pending...)
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
