package whatsapp

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"
)

// The user's own profile, asked as any member's (the gateway's answer to
// a vCard or avatar asked of the user's own nick in a room): UserInfo of
// the user's own member ID, which is the login ID, is their WhatsApp
// name (the push name others see) and number, with their own profile
// picture; asked by their own LID too. Before, the name was the bare
// number: the store keeps no contact of the user's own.
func TestOwnUserInfo(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if s.d.dev.PushName != "Me" {
		t.Fatalf("the paired device's push name %q, want Me", s.d.dev.PushName)
	}
	ownLID := s.d.dev.LID
	fake.SetGroup(&types.GroupInfo{
		JID: group, GroupName: types.GroupName{Name: "Friends"},
		Participants: []types.GroupParticipant{
			{JID: ownLID, LID: ownLID, PhoneNumber: phone},
			{JID: aliceLID, LID: aliceLID, PhoneNumber: alice, IsSuperAdmin: true},
		},
	})
	fake.SetPicture(phone, "own-pic", "https://pps.invalid/alice.jpg")
	c, err := s.ChatInfo(ctx, group.String())
	if err != nil {
		t.Fatal(err)
	}
	var own string
	for _, m := range c.Members {
		if m.IsSelf {
			own = m.UserId
		}
	}
	if own != s.login.LoginID {
		t.Fatalf("own member %q, want the login ID %q", own, s.login.LoginID)
	}
	for _, id := range []string{own, "lid-" + ownLID.User} {
		got, err := s.UserInfo(ctx, id)
		if err != nil {
			t.Fatalf("UserInfo(%s): %v", id, err)
		}
		if got.UserId != own || got.Name != "Me" || got.Phone != own {
			t.Errorf("UserInfo(%s) = %v, want Me, %s", id, got, own)
		}
		if got.AvatarId != "own-pic" || string(got.Avatar) != "JPEG alice" || got.AvatarMime != "image/jpeg" {
			t.Errorf("UserInfo(%s): picture %q, %q; want the user's own", id, got.AvatarId, got.Avatar)
		}
	}
}
