package whatsapp

import (
	"context"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// WhatsApp cannot mute one member: making someone a visitor is refused
// as unsupported, saying so, and the member is left as they were (it
// demoted an admin and answered success).
func TestSetRoleVisitorUnsupported(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: phone, PhoneNumber: phone, IsAdmin: true},
			{JID: bob, PhoneNumber: bob, IsAdmin: true},
		},
	})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	for _, aff := range []pb.Affiliation{pb.Affiliation_AFFILIATION_ADMIN, pb.Affiliation_AFFILIATION_MEMBER} {
		err := s.SetRole(ctx, sdk.Call{ChatID: group.String()}, &pb.SetRole{UserId: "+33622222222", Affiliation: aff, Role: pb.Role_ROLE_VISITOR})
		if codeOf(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(err.Error(), "mute") {
			t.Errorf("visitor with %v: %v", aff, err)
		}
	}
	g := fake.Group(group)
	if len(g.Participants) != 2 || !g.Participants[1].IsAdmin {
		t.Errorf("the member changed: %+v", g.Participants)
	}
}
