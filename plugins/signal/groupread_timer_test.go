package signal_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Bob sets the group's timer while the gateway is disconnected: the
// groups read at the reconnection (or a read for a query, as here) may
// see it before the update's envelope is handled. The timer's notice is
// still told in the room. (Before: the update was compared with that
// read, which had the new timer, and no notice came.)
func TestGroupTimerSeenByAReadFirst(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	g, _ := d.GetGroup(alice, gid)
	g.Timer = 3600
	g.Revision++
	d.SetGroup(alice, g)
	if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil {
		t.Fatal(err)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the timer"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
	ev := s.next(func(ev *pb.Event) bool {
		return ev.ChatId == group && ev.GetMessage() != nil && ev.GetMessage().GetText() != "hi all"
	})
	if want := mediatext.ReadTimerText(time.Hour); ev.GetMessage().GetText() != want || ev.Sender.GetUserId() != bob {
		t.Fatalf("after bob's timer change: %v, want his notice %q (before: none)", ev, want)
	}
}

// Bob sets the group's timer, then Carol sets it back, both before the
// plugin reads the group: each update carries the timer it left
// (expiresInSeconds, as Signal's apps send a group update), so each is
// told, in order, by its author. Before, both updates were compared
// with the read, which had the timer back as told: neither was told.
func TestGroupTimerSetAndSetBackTold(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	update := func(from, fromACI string, secs int, rev int) {
		t.Helper()
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, DataMessage: &fakesignal.DataMessage{
			ExpiresInSeconds: secs, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: rev, Type: "UPDATE"}}})
	}
	isTimer := func(ev *pb.Event) bool {
		return ev.ChatId == group && strings.Contains(ev.GetMessage().GetText(), "disappear")
	}
	g, _ := d.GetGroup(alice, gid)
	g.Timer = 60
	g.Revision++
	d.SetGroup(alice, g)
	update(bob, bobACI, 60, g.Revision)
	if ev := s.next(isTimer); ev.GetMessage().GetText() != mediatext.ReadTimerText(time.Minute) {
		t.Fatalf("bob's first timer: %v", ev)
	}

	// Bob sets an hour, Carol sets a minute back: the plugin reads the
	// group at Bob's update, which has Carol's minute already.
	g.Timer = 3600
	g.Revision++
	d.SetGroup(alice, g)
	bobs := g.Revision
	g.Timer = 60
	g.Revision++
	d.SetGroup(alice, g)
	update(bob, bobACI, 3600, bobs)
	update(carol, carolACI, 60, g.Revision)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the timers"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
	var told []string
	s.next(func(ev *pb.Event) bool {
		if isTimer(ev) {
			told = append(told, ev.Sender.GetUserId()+": "+ev.GetMessage().GetText())
		}
		return isText("after the timers")(ev)
	})
	want := []string{bob + ": " + mediatext.ReadTimerText(time.Hour), carol + ": " + mediatext.ReadTimerText(time.Minute)}
	if !slices.Equal(told, want) {
		t.Fatalf("the timers told %q, want %q (before: none)", told, want)
	}
}
