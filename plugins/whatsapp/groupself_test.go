package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// In a group WhatsApp addresses by LID (most groups now), its
// notifications name the user by their own LID: the user removed is the
// room gone (kicked), the user promoted is the user, not a stranger
// "lid-..." member.
func TestGroupOwnLIDChanges(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	ownLID := s.d.dev.LID
	if ownLID.IsEmpty() {
		t.Fatal("the fake device has no LID")
	}
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: ownLID, LID: ownLID, PhoneNumber: phone},
			{JID: aliceLID, LID: aliceLID, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}

	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &aliceLID, SenderPN: &alice, Timestamp: when, Promote: []types.JID{ownLID}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMember() != nil })
	if m := ev.GetMember().GetMember(); !m.IsSelf || m.UserId != s.login.LoginID || m.Affiliation != pb.Affiliation_AFFILIATION_ADMIN {
		t.Errorf("the user promoted by LID: %v", ev)
	}

	from = r.host.count()
	fake.Emit(&events.GroupInfo{JID: group, Sender: &aliceLID, SenderPN: &alice, Timestamp: when, Leave: []types.JID{ownLID}})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil || ev.GetMember() != nil })
	if ev.GetChatRemoved().GetReason() != pb.ChatRemovedEvent_REASON_KICKED || ev.ChatId != group.String() {
		t.Errorf("the user removed by LID: %v, want the room removed (kicked)", ev)
	}
	if s.knownGroup(group) != nil {
		t.Error("the group is still described offline as one the user is in")
	}
}
