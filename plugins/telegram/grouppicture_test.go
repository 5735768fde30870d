package telegram

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A group's picture set from XMPP (sdk.ChatAvatarSetter) becomes the
// group's on Telegram as a 640-pixel square JPEG: in a basic group
// (messages.editChatPhoto) and a supergroup (channels.editPhoto), set,
// replaced and removed, each change coming back as the group's chat with
// the new picture's ID (or no_avatar) from Telegram's service message.
// Telegram's refusals are the contract's errors: a member who is no
// admin where only admins may (CHAT_ADMIN_REQUIRED) is NOT_ALLOWED, and
// what is no picture goes nowhere.
func TestSetGroupPicture(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 720, Title: "Mine", Members: []int64{alice.ID, bob.ID}, Creator: alice.ID})
	srv.AddChannel(tgfake.Channel{ID: 710, Title: "Strict", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsChangeInfo: true})
	srv.AddGroup(tgfake.Group{ID: 730, Title: "Strict too", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID, AdminsChangeInfo: true})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil { // the channels' access hashes
		t.Fatal(err)
	}
	set := func(chat string, data []byte) error {
		return s.SetChatAvatar(ctx, sdk.Call{ChatID: chat}, &pb.SetChatAvatar{Data: data, MimeType: "image/png"})
	}
	// changed sets chat's picture and waits for the room's news of it.
	changed := func(chat string, data []byte) *pb.Chat {
		t.Helper()
		from := h.count()
		if err := set(chat, data); err != nil {
			t.Fatalf("%s: %v", chat, err)
		}
		return h.wait(t, from, "the picture's news in "+chat, func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return ev.ChatId == chat && c != nil && (c.AvatarId != "" || c.NoAvatar)
		}).GetChat().Chat
	}
	// onTelegram is the group's picture on Telegram, checked as a square
	// JPEG of side pixels, and what ChatAvatar fetches.
	onTelegram := func(chat string, peer tg.PeerClass, side int) []byte {
		t.Helper()
		pic := srv.Picture(peer)
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(pic))
		if err != nil || cfg.Width != side || cfg.Height != side {
			t.Fatalf("%s: the picture on Telegram is %dx%d, %v; want a %dx%[4]d JPEG", chat, cfg.Width, cfg.Height, err, side)
		}
		if b, mime, err := s.ChatAvatar(ctx, chat); err != nil || !bytes.Equal(b, pic) || mime != "image/jpeg" {
			t.Fatalf("%s: ChatAvatar: %d bytes of %s, %v", chat, len(b), mime, err)
		}
		return pic
	}

	// A basic group (newFake's Wonderland): set, replaced, removed.
	const group = "-77"
	groupPeer := &tg.PeerChat{ChatID: 77}
	first := changed(group, plugintest.PNG(1200, 800, color.RGBA{R: 200, A: 255}))
	if first.NoAvatar || first.Name != "Wonderland" {
		t.Fatalf("the picture set: %v", first)
	}
	pic := onTelegram(group, groupPeer, 640)
	second := changed(group, plugintest.PNG(800, 1200, color.RGBA{B: 200, A: 255}))
	if second.NoAvatar || second.AvatarId == first.AvatarId {
		t.Fatalf("the picture replaced: avatar_id %q after %q", second.AvatarId, first.AvatarId)
	}
	if bytes.Equal(onTelegram(group, groupPeer, 640), pic) {
		t.Fatal("the picture replaced: Telegram has the first one still")
	}
	if gone := changed(group, nil); !gone.NoAvatar || gone.AvatarId != "" {
		t.Fatalf("the picture removed: %v", gone)
	}
	if srv.Picture(groupPeer) != nil {
		t.Fatal("the picture removed: Telegram has it still")
	}
	if err := set(group, nil); err != nil {
		t.Errorf("removing a picture the group does not have: %v; want done (none it is)", err)
	}

	// A supergroup the user owns; a small picture is not scaled up.
	if c := changed("-100720", plugintest.PNG(300, 300, color.White)); c.NoAvatar || c.Name != "Mine" {
		t.Fatalf("the supergroup's picture: %v", c)
	}
	onTelegram("-100720", &tg.PeerChannel{ChannelID: 720}, 300)

	// Where only admins may: refused, with Telegram's reason.
	for chat, peer := range map[string]tg.PeerClass{"-100710": &tg.PeerChannel{ChannelID: 710}, "-730": &tg.PeerChat{ChatID: 730}} {
		err := set(chat, plugintest.PNG(300, 300, color.White))
		if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "CHAT_ADMIN_REQUIRED") {
			t.Errorf("%s, a member who is no admin: %v; want NOT_ALLOWED (CHAT_ADMIN_REQUIRED)", chat, err)
		}
		if srv.Picture(peer) != nil {
			t.Errorf("%s: a refused picture reached the group", chat)
		}
	}

	// Refused before Telegram: no picture, a private chat, a topic.
	asked := srv.Requests("messages.editChatPhoto") + srv.Requests("channels.editPhoto")
	for chat, data := range map[string][]byte{group: []byte("not a picture"), "1002": pic, "-100720_5": pic} {
		if err := set(chat, data); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
			t.Errorf("%s: %v; want BAD_REQUEST", chat, err)
		}
	}
	if n := srv.Requests("messages.editChatPhoto") + srv.Requests("channels.editPhoto"); n != asked {
		t.Errorf("%d refused pictures reached Telegram", n-asked)
	}
}

// The user's own profile photo set from XMPP (sdk.ProfileAvatarSetter)
// becomes theirs on Telegram as a 640-pixel square JPEG
// (photos.uploadProfilePhoto), replaced, then removed
// (photos.updateProfilePhoto with inputPhotoEmpty); what is no picture
// goes nowhere.
func TestSetProfilePicture(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	set := func(data []byte) error {
		return s.SetProfileAvatar(ctx, &pb.SetProfileAvatar{Data: data, MimeType: "image/png"})
	}
	for i, img := range [][]byte{plugintest.PNG(900, 1200, color.RGBA{R: 200, A: 255}), plugintest.PNG(100, 100, color.White)} {
		if err := set(img); err != nil {
			t.Fatal(err)
		}
		side := []int{640, 100}[i]
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(srv.ProfilePhoto(alice.ID)))
		if err != nil || cfg.Width != side || cfg.Height != side {
			t.Fatalf("photo %d on Telegram: %dx%d, %v; want a %dx%[4]d JPEG", i, cfg.Width, cfg.Height, err, side)
		}
	}
	uploads := srv.Requests("photos.uploadProfilePhoto")
	if err := set([]byte("no picture")); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("no picture: %v; want BAD_REQUEST", err)
	}
	if srv.Requests("photos.uploadProfilePhoto") != uploads || srv.ProfilePhoto(alice.ID) == nil {
		t.Error("a refused picture reached Telegram")
	}
	if err := set(nil); err != nil {
		t.Fatal(err)
	}
	if srv.ProfilePhoto(alice.ID) != nil {
		t.Error("the profile photo is still there")
	}
}
