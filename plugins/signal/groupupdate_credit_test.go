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

// groupUpdate delivers from's update of group gid at revision rev,
// carrying the timer secs.
func groupUpdate(d *fakesignal.Daemon, gid, from, fromACI string, rev, secs int) {
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: from, SourceUUID: fromACI, DataMessage: &fakesignal.DataMessage{
		ExpiresInSeconds: secs, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: rev, Type: "UPDATE"}}})
}

// bobSaysInGroup delivers bob's text in group gid at revision rev.
func bobSaysInGroup(d *fakesignal.Daemon, gid string, rev int, text string) {
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text(text), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: rev, Type: "DELIVER"}}})
}

// groupWithBobsMinute has a group known whose timer bob then set to a
// minute, and returns the group as the fake holds it and the timer's
// event.
func groupWithBobsMinute(t *testing.T) (d *fakesignal.Daemon, gid string, s *session, group string, g fakesignal.Group, timer *pb.Event) {
	d, gid, s, group = groupKnown(t)
	g, _ = d.GetGroup(alice, gid)
	g.Timer = 60
	g.Revision++
	d.SetGroup(alice, g)
	groupUpdate(d, gid, bob, bobACI, g.Revision, 60)
	timer = s.next(func(ev *pb.Event) bool { return strings.Contains(ev.GetMessage().GetText(), "disappear") })
	return d, gid, s, group, g, timer
}

// readWithLaterUpdate delivers first, then, while the plugin's read of
// the group for it is held, later: signal-cli applied the later update
// before the read, and wrote its envelope before the read's answer.
func readWithLaterUpdate(t *testing.T, d *fakesignal.Daemon, first, later func()) {
	t.Helper()
	// The read of that one group (groupId): the session's own listing
	// of all groups (refreshGroups, once subscribed) may come late and
	// must not be the one held.
	read, release := d.HoldNext("listGroups", "groupId")
	defer release()
	first()
	select {
	case <-read:
	case <-time.After(30 * time.Second):
		t.Fatal("the update's group was not read in 30 s")
	}
	later()
	release()
}

// groupNotices collects the room's notices and timer messages, each
// "author: text" ("" for the room's own), until the message text.
func groupNotices(s *session, group, text string) []string {
	var told []string
	s.next(func(ev *pb.Event) bool {
		if ev.ChatId == group && ev.GetMessage() != nil && ev.GetMessage().GetText() != "hi all" && !isText(text)(ev) {
			told = append(told, ev.GetSender().GetUserId()+": "+ev.GetMessage().GetText())
		}
		return isText(text)(ev)
	})
	return told
}

// Bob lets only admins send, then Carol turns on the group link and
// invites dave, and signal-cli applies both before the plugin reads the
// group for Bob's update: the read holds Carol's changes too. They are
// told without an author rather than as Bob's (before: "Bob turned on
// the group link", "Bob invited 1 person").
func TestGroupSettingsOfALaterUpdateNotCredited(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	g, _ := d.GetGroup(alice, gid)
	g.OnlyAdminsSend = true
	g.Revision++
	bobs := g.Revision
	d.SetGroup(alice, g)
	g.Link = "https://signal.group/#CjQKIAAAA"
	g.Pending = append(g.Pending, fakesignal.Member{Number: "+15550000009", UUID: fakesignal.NewUUID()})
	g.Revision++
	d.SetGroup(alice, g)
	readWithLaterUpdate(t, d,
		func() { groupUpdate(d, gid, bob, bobACI, bobs, 0) },
		func() { groupUpdate(d, gid, carol, carolACI, g.Revision, 0) })
	bobSaysInGroup(d, gid, g.Revision, "after the settings")
	told := strings.Join(groupNotices(s, group, "after the settings"), "\n")
	if strings.Contains(told, "Bob") || strings.Contains(told, bob) {
		t.Errorf("a read holding carol's change credited to bob (before: both his):\n%s", told)
	}
	for _, want := range []string{"only allow admins to send messages.", "turned on the group link.", "Someone invited 1 person to the group."} {
		if !strings.Contains(told, want) {
			t.Errorf("%q untold:\n%s", want, told)
		}
	}
}

// Bob turns the timer off, then Carol sets an hour, before the plugin
// reads the group for Bob's update: his carries 0, and the read has
// Carol's hour. The hour is Carol's, told once, by her (before: by
// bob, and Carol's update said nothing).
func TestGroupTimerOffThenSetCredited(t *testing.T) {
	d, gid, s, group, g, ev := groupWithBobsMinute(t)
	if ev.GetMessage().GetText() != mediatext.ReadTimerText(time.Minute) {
		t.Fatalf("bob's first timer: %v", ev)
	}
	g.Timer = 0
	g.Revision++
	bobs := g.Revision
	d.SetGroup(alice, g)
	g.Timer = 3600
	g.Revision++
	d.SetGroup(alice, g)
	readWithLaterUpdate(t, d,
		func() { groupUpdate(d, gid, bob, bobACI, bobs, 0) },
		func() { groupUpdate(d, gid, carol, carolACI, g.Revision, 3600) })
	bobSaysInGroup(d, gid, g.Revision, "after the timers")
	var timers []string
	for _, n := range groupNotices(s, group, "after the timers") {
		if strings.Contains(n, "disappear") {
			timers = append(timers, n)
		}
	}
	if want := []string{carol + ": " + mediatext.ReadTimerText(time.Hour)}; !slices.Equal(timers, want) {
		t.Fatalf("the timers told %q, want %q (before: the hour as bob's)", timers, want)
	}
}

// Dave lets only admins send and sets the timer to an hour, and his
// update never comes; Carol's next one, turning on the link and
// carrying no timer, does. The changes are in the read, which follows
// a revision never handled: they are told without an author, the
// timer's notice from the room (before: all as Carol's).
func TestGroupChangeOfAMissedUpdateNotCredited(t *testing.T) {
	d, gid, s, group, _, _ := groupWithBobsMinute(t)
	missedUpdateNotCredited(t, d, gid, s, group)
}

// missedUpdateNotCredited has dave's update of group gid (only admins
// send, an hour's timer) never come and carol's next one (the link
// turned on, no timer) come, and checks that the room was told each
// change without an author.
func missedUpdateNotCredited(t *testing.T, d *fakesignal.Daemon, gid string, s *session, group string) {
	t.Helper()
	g, _ := d.GetGroup(alice, gid)
	g.OnlyAdminsSend, g.Timer = true, 3600
	g.Revision++ // dave's, never delivered
	d.SetGroup(alice, g)
	g.Link = "https://signal.group/#CjQKIAAAA"
	g.Revision++
	d.SetGroup(alice, g)
	groupUpdate(d, gid, carol, carolACI, g.Revision, 0)
	bobSaysInGroup(d, gid, g.Revision, "after the gap")
	told := strings.Join(groupNotices(s, group, "after the gap"), "\n")
	if strings.Contains(told, "Carol") || strings.Contains(told, carol) {
		t.Errorf("a change of a missed update credited to carol:\n%s", told)
	}
	for _, want := range []string{"only allow admins to send messages.", "turned on the group link.", ": " + mediatext.ReadTimerText(time.Hour)} {
		if !strings.Contains(told, want) {
			t.Errorf("%q untold:\n%s", want, told)
		}
	}
}
