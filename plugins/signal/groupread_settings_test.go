package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// Bob changes the group's settings and invites dave while the gateway
// is disconnected: a read of the group (at the reconnection, or for a
// query, as here) may see the change before the update's envelope is
// handled. The notices are still told in the room, by bob, as the
// timer's are (TestGroupTimerSeenByAReadFirst). Before, the update was
// compared with that read, which had the change already, and the room
// said nothing.
func TestGroupSettingsSeenByAReadFirst(t *testing.T) {
	d, gid, s, group := groupKnown(t)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	dave, daveACI := "+15550000009", fakesignal.NewUUID()
	g, _ := d.GetGroup(alice, gid)
	g.OnlyAdminsEdit, g.OnlyAdminsSend = true, true
	g.Link = "https://signal.group/#CjQKIAAAA"
	g.Pending = append(g.Pending, fakesignal.Member{Number: dave, UUID: daveACI})
	g.Revision++
	d.SetGroup(alice, g)
	if _, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group}); err != nil {
		t.Fatal(err)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("after the settings"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "DELIVER"}}})
	var notices []string
	s.next(func(ev *pb.Event) bool {
		if isRoomNotice(group)(ev) {
			notices = append(notices, ev.GetMessage().GetText())
		}
		return isText("after the settings")(ev)
	})
	all := strings.Join(notices, "\n")
	for _, want := range []string{
		"changed the group settings to only allow admins to send messages.",
		`changed who can edit group info to "Only admins".`,
		"turned on the group link.",
		"invited 1 person to the group.",
	} {
		if !strings.Contains(all, bob+") "+want) && !strings.Contains(all, bob+" "+want) {
			t.Errorf("bob's change %q untold in the room (before: none of them); told:\n%s", want, all)
		}
	}
}
