package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The revision of a group's last update handled outlives the plugin: an
// update that never came while it was down (dave's, the revision after
// bob's) is seen as missed when carol's comes after the restart, and
// the changes the group's read finds are told without an author
// (before: the restarted plugin knew no revision to follow, and credited
// carol with dave's change too).
func TestGroupChangeOfAMissedUpdateNotCreditedAfterRestart(t *testing.T) {
	d, gid, s, group, g, _ := groupWithBobsMinute(t)
	// Bob's update is handled and out of the inbox once his next
	// message is told: not handled again after the restart.
	bobSaysInGroup(d, gid, g.Revision, "before the crash")
	s.next(isText("before the crash"))
	s.crash()
	// The restarted plugin reads the group before the missed update
	// (the room's vCard), so that what it tells is against that read,
	// whether its read of the groups at the connection comes before
	// the missed update or after.
	ctx, cancel := s.p.CallContext()
	_, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	missedUpdateNotCredited(t, d, gid, s, group)
}
