package signal_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	ev := s.next(isRoomNotice(group, dave, "asks to join", "inviting", "banning their address"))
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
	// kill, comes again under its seq, and, if the kill came before the
	// plugin had the host's confirmation, under a new seq with its
	// event_id, a copy the host drops: no new telling.
	told := ev
	if ev := s.next(func(ev *pb.Event) bool {
		return isRoomNotice(group, "asks to join")(ev) && ev.Seq > told.Seq && ev.EventId != told.EventId
	}); !strings.Contains(ev.GetMessage().GetText(), erin) {
		t.Fatalf("after a second restart: %v, want erin's request told, dave's not again", ev)
	}
}

// requestsToldChats are the chats join-requests-told.json keeps
// requests of.
func requestsToldChats(t *testing.T, dir string) map[string][]string {
	t.Helper()
	var st map[string][]string
	b, err := os.ReadFile(filepath.Join(dir, "join-requests-told.json"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("join-requests-told.json: %v: %s", err, b)
		}
	}
	return st
}

// askToJoin has dave ask to join gid, and waits for the notice.
func askToJoin(t *testing.T, d *fakesignal.Daemon, s *session, gid string) {
	t.Helper()
	dave, daveACI := "+15550000009", fakesignal.NewUUID()
	g, _ := d.GetGroup(alice, gid)
	g.Requesting = append(g.Requesting, fakesignal.Member{Number: dave, UUID: daveACI})
	g.Revision++
	d.SetGroup(alice, g)
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: dave, SourceUUID: daveACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	s.next(isRoomNotice(hexGroup(gid), dave, "asks to join"))
	// Noted once the host confirmed the notice, which may reach the
	// client first.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, ok := requestsToldChats(t, s.dir)[hexGroup(gid)]; ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the request told is not kept")
		}
	}
}

// The requests to join told of a group the user left are forgotten:
// left from XMPP, or found out of it at a connection (removed, or left
// on the phone, while the gateway was down). Before, they stayed in
// join-requests-told.json for good, and a request still pending when
// the user came back to the group was not told in its room again.
func TestJoinRequestsToldForgottenWhenLeft(t *testing.T) {
	t.Run("left", func(t *testing.T) {
		d, gid, s, group := groupKnown(t)
		askToJoin(t, d, s, gid)
		if res := s.do(group, &pb.LeaveChat{}); res.Error != nil {
			t.Fatalf("leave: %v", res.Error)
		}
		if st := requestsToldChats(t, s.dir); len(st) != 0 {
			t.Errorf("after leaving the group: %v kept, want none", st)
		}
	})
	out := func(d *fakesignal.Daemon, gid string) fakesignal.Group {
		g, _ := d.GetGroup(alice, gid)
		g.Members = slices.DeleteFunc(g.Members, func(m fakesignal.Member) bool { return m.Number == alice })
		g.Revision++
		d.SetGroup(alice, g)
		return g
	}
	t.Run("removed", func(t *testing.T) {
		d, gid, s, group := groupKnown(t)
		askToJoin(t, d, s, gid)
		g := out(d, gid)
		at := d.Now()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
			Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
		s.next(func(ev *pb.Event) bool { return ev.ChatId == group && ev.GetChatRemoved() != nil })
		if st := requestsToldChats(t, s.dir); len(st) != 0 {
			t.Errorf("after being removed from the group: %v kept, want none", st)
		}
	})
	t.Run("out at a connection", func(t *testing.T) {
		// Its update missed (signal-cli lost it, or it could not be
		// read): the groups read at the connection say it.
		d, gid, s, _ := groupKnown(t)
		askToJoin(t, d, s, gid)
		out(d, gid)
		s.crash()
		for deadline := time.Now().Add(10 * time.Second); len(requestsToldChats(t, s.dir)) != 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after a connection out of the group: %v kept, want none", requestsToldChats(t, s.dir))
			}
		}
	})
}
