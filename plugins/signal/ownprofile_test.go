package signal_test

import (
	"bytes"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's own profile, asked as any member's (the gateway's answer to
// a vCard or avatar asked of the user's own nick in a room): UserInfo of
// the user's own member ID, the login's number, or of their ACI, is
// their Signal profile, its name and picture (signal-cli lists the
// account itself among all recipients, and gives its profile picture as
// any profile's), and without a picture once they removed it. Before, it
// was the Note to Self contact: that name, no picture.
func TestOwnUserInfo(t *testing.T) {
	d, gid := startFake(t)
	face := []byte("\x89PNG\r\n\x1a\nalice's face")
	d.SetProfile(alice, "Alice", face)
	s := newSession(t, d)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: hexGroup(gid)})
	if err != nil {
		t.Fatal(err)
	}
	var own string
	for _, m := range c.Members {
		if m.IsSelf {
			own = m.UserId
		}
	}
	if own != alice || s.loginID != alice {
		t.Fatalf("own member %q, login %q: want the number %s", own, s.loginID, alice)
	}
	for _, id := range []string{own, aliceACI} {
		info, err := s.p.Client().UserInfo(ctx, &pb.UserRef{LoginId: s.loginID, UserId: id})
		if err != nil {
			t.Fatalf("UserInfo(%s): %v", id, err)
		}
		if info.UserId != alice || info.Name != "Alice" || info.Phone != alice {
			t.Errorf("UserInfo(%s) = %v, want Alice, %s", id, info, alice)
		}
		if !bytes.Equal(info.Avatar, face) || info.AvatarMime != "image/png" || info.AvatarId == "" {
			t.Errorf("UserInfo(%s): %d bytes of %q, ID %q; want the profile's picture", id, len(info.Avatar), info.AvatarMime, info.AvatarId)
		}
	}
	d.SetProfile(alice, "Alice", nil)
	if info, err := s.p.Client().UserInfo(ctx, &pb.UserRef{LoginId: s.loginID, UserId: own}); err != nil || info.Name != "Alice" || info.Avatar != nil || info.AvatarId != "" {
		t.Errorf("without a picture: %v %v", info, err)
	}
}
