package botmode_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/botmode"
)

// The bot's own profile, asked as any member's (the gateway's answer to
// a vCard or avatar asked of the user's own nick in a room): UserInfo of
// the bot's own member ID, or of the login ID ("bot<id>"), is the bot's
// name and username with its profile photo (getUserProfilePhotos of the
// bot itself), or without one once removed. Before, the bot's ID was
// looked up with getChat, which Telegram refuses ("chat not found"), and
// the login ID was no Telegram user ID.
func TestOwnUserInfo(t *testing.T) {
	api := newFakeAPI(t)
	api.push(groupMsg(1, 700, "Ann", "hello"))
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	h.waitFor(t, 0, "the group's message", isText("hello"))
	ctx := context.Background()
	if err := s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{Data: plugintest.PNG(200, 200, color.White), MimeType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	photo := api.myProfilePhoto()
	c, err := s.ChatInfo(ctx, fmt.Sprint(groupID))
	if err != nil {
		t.Fatal(err)
	}
	var own string
	for _, m := range c.Members {
		if m.IsSelf {
			own = m.UserId
		}
	}
	if own != fmt.Sprint(testBotID) {
		t.Fatalf("the bot's own member %q, want %d", own, testBotID)
	}
	for _, id := range []string{own, botmode.LoginIDFor(testBotID)} {
		got, err := s.UserInfo(ctx, id)
		if err != nil {
			t.Fatalf("UserInfo(%s): %v", id, err)
		}
		if got.UserId != own || got.Name != "Passerelle Test" || got.Username != "passerelle_test_bot" || !got.IsBot {
			t.Errorf("UserInfo(%s) = %v, want the bot, Passerelle Test, @passerelle_test_bot", id, got)
		}
		if !bytes.Equal(got.Avatar, photo) || got.AvatarMime != "image/jpeg" || got.AvatarId == "" {
			t.Errorf("UserInfo(%s): %d bytes of %q, ID %q; want the bot's photo", id, len(got.Avatar), got.AvatarMime, got.AvatarId)
		}
	}
	if err := s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserInfo(ctx, own); err != nil || got.Name != "Passerelle Test" || got.Avatar != nil || got.AvatarId != "" {
		t.Errorf("without a photo: %v %v, want the bot without a picture", got, err)
	}
}
