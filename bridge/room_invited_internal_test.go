package bridge

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestInvitedReasonXMLSafe: a character XML cannot carry in the
// network's reason, or in the group name standing for one, is dropped,
// as in every other reason the gateway writes (wire.XMLSafe). Before,
// the Writer put U+FFFD in its place, shown beside the invitation.
func TestInvitedReasonXMLSafe(t *testing.T) {
	_, s, _, _ := occupantFixture(t)
	for _, c := range []struct {
		inv  *pb.InvitedEvent
		want string
	}{
		{&pb.InvitedEvent{Reason: "join\x07 us"}, "<reason>join us</reason>"},
		{&pb.InvitedEvent{ChatName: "Cl\x01ub"}, "<reason>Invitation to “Club”</reason>"},
	} {
		d := delivery{ev: &pb.Event{LoginId: s.LoginID(), ChatId: "club", Sender: &pb.Sender{UserId: "echo-1"}}, xid: "inv1"}
		out := s.invitedEvent(d, c.inv)
		if len(out) != 1 || !strings.Contains(string(out[0]), c.want) {
			t.Errorf("invitation %v: want %s in %q", c.inv, c.want, out)
		}
	}
}
