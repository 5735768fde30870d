package telegram

import (
	"bytes"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// The user renaming themselves on the phone (updateUserName of the
// account) is their new nick in each room they are in (a basic group,
// a supergroup): a RENAMED of their own member. Before, the rooms kept the
// old nick until a new description (the next connection).
func TestOwnRenameOnPhone(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 610, Title: "Club", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChatInfo(ctx, "-77"); err != nil { // as the gateway does: the room's nick told
		t.Fatal(err)
	}
	from := h.count()
	srv.RenameSelf(alice.ID, "Alicia", "")
	for _, chat := range []string{"-77", "-100610"} {
		ev := h.wait(t, from, "the new nick in "+chat, func(ev *pb.Event) bool {
			return ev.ChatId == chat && ev.GetMember().GetKind() == pb.MemberEvent_KIND_RENAMED
		})
		if m := ev.GetMember().Member; !m.IsSelf || m.Nick != "Alicia" || m.UserId != "1001" {
			t.Errorf("%s: member %v, want the user's own, Alicia", chat, m)
		}
	}
	if n := countOf(h, from, func(ev *pb.Event) bool { return ev.GetContact() != nil }); n != 0 {
		t.Errorf("%d contact events for the own rename, want none (the account is no contact)", n)
	}
}

// The user's own profile, asked as any member's (the gateway's answer
// to a vCard or avatar asked of the user's own nick in a room): UserInfo
// of the login's ID, the ID of the user's own member, is the account's
// name, username, phone number and profile photo.
func TestOwnUserInfo(t *testing.T) {
	srv := newFake(t)
	me := alice
	me.Photo = bytes.Repeat([]byte{0xff, 0xd8, 7, 7}, 1000)
	srv.AddUser(me)
	s, _, info, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	c, err := s.ChatInfo(ctx, "-77")
	if err != nil {
		t.Fatal(err)
	}
	var own string
	for _, m := range c.Members {
		if m.IsSelf {
			own = m.UserId
		}
	}
	if own != info.LoginID {
		t.Fatalf("own member %q, login ID %q: want the same ID", own, info.LoginID)
	}
	got, err := s.UserInfo(ctx, own)
	if err != nil {
		t.Fatalf("UserInfo of the user's own ID: %v", err)
	}
	if got.UserId != own || got.Name != "Alice Liddell" || got.Username != "alice" || got.Phone != "+33600000001" {
		t.Errorf("own profile %v, want Alice Liddell, @alice, +33600000001", got)
	}
	if !bytes.Equal(got.Avatar, me.Photo) || got.AvatarMime != "image/jpeg" || got.AvatarId == "" {
		t.Errorf("own picture: %d bytes of %q, ID %q; want the account's photo", len(got.Avatar), got.AvatarMime, got.AvatarId)
	}
}
