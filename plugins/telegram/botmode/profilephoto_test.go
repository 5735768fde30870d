package botmode_test

import (
	"bytes"
	"context"
	"image/color"
	"image/jpeg"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
)

// The bot's own profile photo from the user's XMPP avatar
// (sdk.ProfileAvatarSetter): setMyProfilePhoto with an
// InputProfilePhotoStatic whose attach:// part is a 640-pixel square
// JPEG (the fake refuses any other shape, as Telegram does), replaced,
// then removed with removeMyProfilePhoto. Telegram's refusal reaches the
// user with its description; what is no picture is refused before
// Telegram; a server that does not answer is UNAVAILABLE, without the
// token in the message.
func TestSetProfilePhoto(t *testing.T) {
	api := newFakeAPI(t)
	s := newSession(t, api, newFakeHost(), t.TempDir())
	ctx := context.Background()
	if f, _ := sdk.Features(s, botmode.Features()); !f.GetProfileAvatar() || !botmode.Features().GetProfileAvatar() {
		t.Errorf("features %v; want profile_avatar", f)
	}
	// Without the interface, the SDK answers the command UNSUPPORTED.
	pa, isSetter := any(s).(sdk.ProfileAvatarSetter)
	if !isSetter {
		t.Fatal("bot mode's session is no sdk.ProfileAvatarSetter: SetProfileAvatar is answered UNSUPPORTED")
	}
	set := func(data []byte) error {
		return pa.SetProfileAvatar(ctx, &pb.SetProfileAvatar{Data: data, MimeType: "image/png"})
	}

	if err := set(plugintest.PNG(900, 700, color.RGBA{G: 200, A: 255})); err != nil {
		t.Fatalf("setting the photo: %v", err)
	}
	first := api.myProfilePhoto()
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(first)); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("the bot's photo on Telegram: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	if err := set(plugintest.PNG(300, 300, color.White)); err != nil {
		t.Fatalf("replacing the photo: %v", err)
	}
	if second := api.myProfilePhoto(); second == nil || bytes.Equal(second, first) {
		t.Errorf("the photo replaced: %d bytes, the first again: %v", len(second), bytes.Equal(second, first))
	}
	if n := len(api.callsOf("setMyProfilePhoto")); n != 2 {
		t.Errorf("setMyProfilePhoto asked %d times, want 2", n)
	}
	if err := set(nil); err != nil {
		t.Fatalf("removing the photo: %v", err)
	}
	if api.myProfilePhoto() != nil || len(api.callsOf("removeMyProfilePhoto")) != 1 {
		t.Errorf("after the removal: %d bytes, removeMyProfilePhoto asked %d times", len(api.myProfilePhoto()), len(api.callsOf("removeMyProfilePhoto")))
	}

	// Telegram's refusals, with its words.
	api.setRefuse("setMyProfilePhoto", "400", "Bad Request: PHOTO_INVALID_DIMENSIONS")
	if err := set(plugintest.PNG(50, 50, color.White)); errCode(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !contains(err.Error(), "PHOTO_INVALID_DIMENSIONS") {
		t.Errorf("a refused photo: %v; want BAD_REQUEST with Telegram's description", err)
	}
	api.setRefuse("removeMyProfilePhoto", "403", "Forbidden: bot was blocked")
	if err := set(nil); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !contains(err.Error(), "bot was blocked") {
		t.Errorf("a refused removal: %v; want NOT_ALLOWED with Telegram's description", err)
	}

	// Refused before Telegram.
	asked := len(api.callsOf("setMyProfilePhoto"))
	if err := set([]byte("not a picture")); errCode(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("not a picture: %v; want BAD_REQUEST", err)
	}
	if n := len(api.callsOf("setMyProfilePhoto")); n != asked {
		t.Errorf("not a picture reached Telegram")
	}
	bare, err := botmode.NewSession(botmode.Config{Host: newFakeHost(), LoginID: botmode.LoginIDFor(testBotID), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := any(bare).(sdk.ProfileAvatarSetter).SetProfileAvatar(ctx, &pb.SetProfileAvatar{}); errCode(err) != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("a login without a token: %v; want LOGIN_REQUIRED", err)
	}

	// The server gone.
	api.srv.Close()
	if err := set(plugintest.PNG(50, 50, color.White)); errCode(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || contains(err.Error(), testToken) {
		t.Errorf("the server gone: %v; want UNAVAILABLE, without the token", err)
	}
}

// A server URL that is no URL: the error, which names the whole request
// URL, does not carry the bot's token.
func TestSetProfilePhotoBadServerURL(t *testing.T) {
	api := newFakeAPI(t)
	done := login(t, api)
	s, err := botmode.NewSession(botmode.Config{Host: newFakeHost(), LoginID: done.LoginId, Dir: t.TempDir(), SavedState: done.SavedState,
		ServerURL: "http://bad host:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect(context.Background()) })
	err = any(s).(sdk.ProfileAvatarSetter).SetProfileAvatar(context.Background(), &pb.SetProfileAvatar{Data: plugintest.PNG(50, 50, color.White), MimeType: "image/png"})
	if err == nil || contains(err.Error(), testToken) {
		t.Errorf("a malformed server URL: %v; want an error without the token", err)
	}
}
