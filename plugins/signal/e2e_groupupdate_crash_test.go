package signal_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/plugintest"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// roomModel is the group's room as the host would build it from the
// plugin's events: each event once by its seq (a restart replays those
// not acknowledged under theirs), applied in order.
type roomModel struct {
	seen    map[uint64]bool
	name    string
	members map[string]bool
	joined  map[string]int // occurrences of a member's join told
	// notices are the texts of the room's notices (messages of no one,
	// or of the member who made the change), each occurrence once: by
	// its event ID (the host drops one told again under it), else its
	// seq.
	notices map[string][]string
}

func newRoomModel() *roomModel {
	return &roomModel{seen: map[uint64]bool{}, members: map[string]bool{}, joined: map[string]int{}, notices: map[string][]string{}}
}

// apply takes ev, an event of the group's chat, unless its seq was
// taken before.
func (m *roomModel) apply(ev *pb.Event) {
	if m.seen[ev.Seq] {
		return
	}
	m.seen[ev.Seq] = true
	switch {
	case ev.GetMessage() != nil:
		key := ev.EventId
		if key == "" {
			key = "seq " + itoa(int64(ev.Seq))
		}
		if text := ev.GetMessage().GetText(); !slices.Contains(m.notices[text], key) {
			m.notices[text] = append(m.notices[text], key)
		}
	case ev.GetChat() != nil:
		c := ev.GetChat().GetChat()
		if c.GetName() != "" {
			m.name = c.GetName()
		}
		if len(c.GetMembers()) > 0 { // a picture alone has none
			m.members = map[string]bool{}
			for _, mb := range c.GetMembers() {
				if mb.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
					m.members[mb.UserId] = true
				}
			}
		}
	case ev.GetMember() != nil:
		me := ev.GetMember()
		switch me.Kind {
		case pb.MemberEvent_KIND_JOINED:
			m.members[me.Member.UserId] = true
			m.joined[me.Member.UserId]++
		case pb.MemberEvent_KIND_LEFT, pb.MemberEvent_KIND_KICKED, pb.MemberEvent_KIND_BANNED:
			delete(m.members, me.Member.UserId)
		}
	}
}

// A plugin killed (SIGKILL) in the middle of a group's update, the
// real process, loses nothing of it and tells nothing twice: carol
// renames the group, adds dave, sets its timer to an hour and lets
// only admins send, and the plugin dies either while
// signal-cli's answer to the group's read is on its way (nothing told
// yet), or after the rename and the join were told (journalled) and
// before the update was done with (the group's picture read after
// them; what was told not yet written, the envelope still in the
// inbox). After the restart the room, as the host builds it from the
// events, has the new name and dave, whose join is told once, and the
// timer's and the settings' notices come once each.
func TestGroupUpdateKilledMidway(t *testing.T) {
	for _, c := range []struct {
		name, method string
		told         bool // the change is told before the kill
	}{
		{"while reading the group", "listGroups", false},
		{"after telling the change", "getAvatar", true},
		// What was told and the inbox written or not yet: either.
		{"after telling it all", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, gid, s, group := groupKnown(t)
			waitGroupsRead(t, d)
			g, _ := d.GetGroup(alice, gid)
			g.Name = "renamed"
			g.Members = append(g.Members, fakesignal.Member{Number: daveNum, UUID: daveACI})
			g.Timer, g.OnlyAdminsSend = 3600, true
			g.Revision++
			d.SetGroup(alice, g)
			now := make(chan struct{})
			close(now)
			var read <-chan struct{} = now
			release := func() {}
			if c.method != "" {
				read, release = d.HoldNext(c.method, "groupId")
				defer release()
			}
			d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, DataMessage: &fakesignal.DataMessage{
				ExpiresInSeconds: 3600, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
			select {
			case <-read:
			case <-time.After(30 * time.Second):
				t.Fatalf("the plugin never asked signal-cli %s for the group", c.method)
			}
			if c.method == "" {
				s.next(func(ev *pb.Event) bool {
					return ev.ChatId == group && strings.Contains(ev.GetMessage().GetText(), "1 hour")
				})
			} else if c.told {
				// Journalled before the picture's read: seen on the
				// stream.
				s.next(func(ev *pb.Event) bool {
					return ev.ChatId == group && ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED
				})
			}
			s.p.Kill()
			release()

			// No event is acknowledged: the restarted plugin replays
			// them all, the room's first telling included, under their
			// seqs, then tells what comes.
			s.crash()
			room := newRoomModel()
			track := func(ev *pb.Event) {
				if ev.ChatId == group {
					room.apply(ev)
				}
			}
			d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
				Message: fakesignal.Text("after the restart"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
			s.next(func(ev *pb.Event) bool { track(ev); return ev.GetMessage().GetText() == "after the restart" })

			if room.name != "renamed" {
				t.Errorf("the room's name after the restart: %q, want %q", room.name, "renamed")
			}
			var members []string
			for id := range room.members {
				members = append(members, id)
			}
			slices.Sort(members)
			want := []string{alice, bob, carol, daveNum}
			slices.Sort(want)
			if !slices.Equal(members, want) {
				t.Errorf("the room's members after the restart: %v, want %v", members, want)
			}
			if n := room.joined[daveNum]; n > 1 {
				t.Errorf("dave's join told %d times, want once", n)
			}
			var timer, settings int
			for text, keys := range room.notices {
				switch {
				case text == "hi all" || text == "after the restart":
					continue
				case strings.Contains(text, "1 hour"):
					timer += len(keys)
				case strings.Contains(text, "admins to send"):
					settings += len(keys)
				}
				t.Logf("notice %q: %v", text, keys)
			}
			if timer != 1 || settings != 1 {
				t.Errorf("the timer's notice told %d times, the settings' %d, want once each", timer, settings)
			}
		})
	}
}

// The user's own change of a group (a rename from XMPP), the plugin
// killed after signal-cli made it and before the room was told (the
// group's reads left unanswered at the fake): the restarted plugin
// tells the room the group as it is, so that the room's name is the
// new one. Before, it read the group at its connection, took it as
// known, and the room kept the old name until the group's next update.
// The command's answer is lost with the process, as the gateway then
// says.
func TestOwnGroupChangeKilledMidway(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	waitGroupsRead(t, d)
	d.Stall("listGroups") // no read of the group tells the room before the kill
	s.cmds.Go(plugintest.Act(s.loginID, group, s.txn(), &pb.SetChatName{Name: "renamed by me"}))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if g, _ := d.GetGroup(alice, gid); g.Name == "renamed by me" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("signal-cli never renamed the group")
		}
	}
	s.p.Kill()
	d.Unstall("listGroups")

	s.crash()
	// The replayed events, then the group as read at the connection.
	room := newRoomModel()
	s.next(func(ev *pb.Event) bool {
		if ev.ChatId == group {
			room.apply(ev)
		}
		return room.name == "renamed by me"
	})
}

// The user's own change of a group whose read after it failed (a
// passing trouble of signal-cli's listGroups) is told at the next
// connection, as one a crash cut short: no envelope of it comes to tell
// it again. Before, the journal forgot it once the command returned,
// and the room kept the old name until the group's next update.
func TestOwnGroupChangeUnreadToldAtNextConnection(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	waitGroupsRead(t, d)
	d.FailNext("listGroups", -3, "Failed to read the group: network failure") // the read after the rename
	if res := s.do(group, &pb.SetChatName{Name: "renamed by me"}); res.Error != nil {
		t.Fatalf("rename: %v", res.Error)
	}
	if g, _ := d.GetGroup(alice, gid); g.Name != "renamed by me" {
		t.Fatalf("signal-cli's group is named %q", g.Name)
	}
	d.Crash()
	s.state(pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT)
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	s.next(func(ev *pb.Event) bool {
		return ev.ChatId == group && ev.GetChat().GetChat().GetName() == "renamed by me"
	})
}

// killMidOwnChange has the user's own change act of the group gid
// made by signal-cli and the plugin killed before the room was told
// (the group's reads left unanswered at the fake), then restarted. made
// says when signal-cli made it.
func killMidOwnChange(t *testing.T, d *fakesignal.Daemon, s *session, gid string, act *pb.Command, made func(fakesignal.Group) bool) {
	t.Helper()
	waitGroupsRead(t, d)
	d.Stall("listGroups")
	s.cmds.Go(act)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if g, _ := d.GetGroup(alice, gid); made(g) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("signal-cli never made the change")
		}
	}
	s.p.Kill()
	d.Unstall("listGroups")
	s.crash()
}

// The user's own timer change of a group, the plugin killed after
// signal-cli made it and before the room was told: the restarted plugin
// tells the room the timer, as the user's, besides the group as it is.
// Before, the journal (groups-changing.json) named the group alone, and
// the next connection told its name and members: the timer's notice
// never came.
func TestOwnTimerChangeKilledMidway(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	killMidOwnChange(t, d, s, gid, plugintest.Act(s.loginID, group, s.txn(), &pb.SetChatTimer{Seconds: 3600}),
		func(g fakesignal.Group) bool { return g.Timer == 3600 })
	isTimer := func(ev *pb.Event) bool {
		return ev.ChatId == group && ev.GetMessage().GetText() == mediatext.ReadTimerText(time.Hour) && ev.GetSender().GetIsFromMe()
	}
	told := s.next(isTimer)
	s.evs.Ack(told.Seq)

	// Once told and the journal done with it, not again at a restart.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(s.dir, "groups-changing.json"))
		if err == nil && !strings.Contains(string(b), gid) && !strings.Contains(string(b), group) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the journal still names the group told: %s (%v)", b, err)
		}
	}
	s.crash()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the timer"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	// The notice, if its ack did not reach the plugin before the kill,
	// comes again under its seq: no new telling.
	if ev := s.next(func(ev *pb.Event) bool {
		return (isTimer(ev) && ev.Seq > told.Seq) || isText("after the timer")(ev)
	}); isTimer(ev) {
		t.Fatalf("the timer told again after a restart: %v", ev)
	}
}

// The user's invitation of someone signal-cli can only invite (no
// profile key), the plugin killed after signal-cli made it and before
// the room was told: the restarted plugin tells the room the
// invitation, as the group's settings are told. Before, it told the
// group's members alone, where the invited one is not.
func TestOwnInviteKilledMidway(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	erin := fakesignal.NewUUID()
	d.NoProfileKey(erin)
	killMidOwnChange(t, d, s, gid, plugintest.Act(s.loginID, group, s.txn(), &pb.Invite{UserId: erin}),
		func(g fakesignal.Group) bool { return len(g.Pending) == 1 })
	s.next(isRoomNotice(group, "You invited", erin))
}
