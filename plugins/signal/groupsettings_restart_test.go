package signal_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"

	pb "passerelle.im/passerelle/plugins/proto"
)

// What a group's room was told of its timer and settings outlives the
// plugin: the timer and who may edit its info changed while the plugin
// was down, and carol's update after the restart tells each change once,
// and nothing that did not change. Before, the restarted plugin took the
// group as first seen, by its read at the connection or for the update,
// whichever came first, and neither change was told.
func TestGroupTimerAndSettingsChangedWhileDownToldAfterRestart(t *testing.T) {
	d, gid, s, group, g, _ := groupWithBobsMinute(t)
	// Bob's update is handled and out of the inbox once his next
	// message is told: not handled again after the restart.
	bobSaysInGroup(d, gid, g.Revision, "before the stop")
	s.next(isText("before the stop"))
	s.p.Kill()
	since := d.Now()
	g, _ = d.GetGroup(alice, gid)
	g.Timer, g.OnlyAdminsEdit = 3600, true
	g.Revision++
	d.SetGroup(alice, g)
	s.crash() // started again; its read of the groups races the update
	groupUpdate(d, gid, carol, carolACI, g.Revision, 3600)
	bobSaysInGroup(d, gid, g.Revision, "after the restart")
	// Events of before the stop not acknowledged come again first:
	// only those of carol's update count.
	told := groupNoticesSince(s, group, "after the restart", since)
	all := strings.Join(told, "\n")
	count := func(sub string) int {
		n := 0
		for _, x := range told {
			if strings.Contains(x, sub) {
				n++
			}
		}
		return n
	}
	if n := count(`changed who can edit group info to "Only admins".`); n != 1 {
		t.Errorf("who may edit the group's info told %d times, want once:\n%s", n, all)
	}
	if n := count(carol + ": " + mediatext.ReadTimerText(time.Hour)); n != 1 {
		t.Errorf("carol's hour told %d times, want once (by her):\n%s", n, all)
	}
	if len(told) != 2 {
		t.Errorf("want the two changes told, nothing else (no setting unchanged, no timer of before):\n%s", all)
	}
}

// groupNoticesSince is groupNotices, of the events at since (Unix ms) or
// later only.
func groupNoticesSince(s *session, group, text string, since int64) []string {
	var told []string
	s.next(func(ev *pb.Event) bool {
		if ev.ChatId == group && ev.GetMessage() != nil && !isText(text)(ev) && ev.TimestampUnixMicro >= since*1000 {
			told = append(told, ev.GetSender().GetUserId()+": "+ev.GetMessage().GetText())
		}
		return isText(text)(ev)
	})
	return told
}
