package botmode_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"image/color"
	"image/jpeg"
	"regexp"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/plugins/plugintest"
)

var avatarHashRe = regexp.MustCompile(`var="muc#roominfo_avatarhash"[^>]*><value>([0-9a-f]+)</value>`)

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// End to end: a group's picture is its room's avatar (its hash in the
// room's disco#info), a new picture replaces it, a deleted one leaves
// the room without.
func TestGatewayGroupPicture(t *testing.T) {
	api := newFakeAPI(t)
	group := fmt.Sprint(groupID)
	api.chatJS[group] = groupChatJSON("gpic1")
	first, second := []byte("jpeg of the group"), []byte("the new jpeg")
	api.addFile("gpic1", first)
	api.addFile("gpic2", second)
	g, user := startGateway(t, api)
	room := g.JID(group)
	api.push(groupMsg(10, 600, "Owner", "hello"))
	hashIs := func(want, what string) {
		t.Helper()
		deadline := time.Now().Add(gatewaytest.Timeout)
		got := "?"
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			info, err := user.IQ(ctx, `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
			cancel()
			if err == nil && info.Type == "result" {
				got = ""
				if m := avatarHashRe.FindStringSubmatch(info.XML); m != nil {
					got = m[1]
				}
				if got == want {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the room's picture hash is %q, want %q", what, got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	hashIs(sha1Hex(first), "the group's picture")
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Test group"}`, groupID)
	api.push(fmt.Sprintf(`{"message":{"message_id":11,"date":1700000200,%s,%s,"new_chat_photo":[{"file_id":"gpic2","file_unique_id":"ugpic2","width":640,"height":640}]}}`, chatJSON, from))
	hashIs(sha1Hex(second), "a new picture")
	api.push(fmt.Sprintf(`{"message":{"message_id":12,"date":1700000300,%s,%s,"delete_chat_photo":true}}`, chatJSON, from))
	hashIs("", "the picture deleted")
	if n := strings.Count(fmt.Sprint(api.callsOf("getChat")), "chat_id"); n != 1 {
		t.Errorf("getChat asked %d times, want once (when the group was first seen)", n)
	}
}

// End to end: the user's XMPP avatar as the bot's profile photo. The
// user turns the gateway's profile-picture command on, and their avatar
// (a vCard-temp PHOTO, set after their first presence) reaches Telegram
// as a 640-pixel square JPEG (setMyProfilePhoto); removing the avatar
// removes the photo (removeMyProfilePhoto).
func TestGatewayProfilePhoto(t *testing.T) {
	api := newFakeAPI(t)
	g, user := startGateway(t, api)
	g.SetVCardPhoto(user, plugintest.PNG(900, 700, color.RGBA{B: 200, A: 255}), "image/png")
	g.ShareAvatar(user)
	g.Eventually("the bot's profile photo on Telegram", func() bool { return api.myProfilePhoto() != nil })
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(api.myProfilePhoto())); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("the bot's profile photo: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	// The gateway takes the photo as set once the plugin answered: a
	// removal's presence before then (its empty hash still the one set)
	// would be dropped by the gateway.
	g.WaitLog("avatar set as the profile picture")
	g.SetAvatar(user, nil, "")
	g.Eventually("the bot's profile photo removed", func() bool { return api.myProfilePhoto() == nil })
}
