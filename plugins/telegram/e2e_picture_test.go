package telegram_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// photoHashRe is the picture's hash in a room's vcard-temp:x:update
// presence ("" for none).
var photoHashRe = regexp.MustCompile(`<photo>([0-9a-f]*)</photo>|<photo/>|<photo></photo>`)

// A group's picture set from an XMPP client, through the gateway and a
// real Prosody, as XEP-0486 has an owner do (a vCard-temp set to the
// room): the PNG reaches Telegram as the basic group's picture, a
// 640-pixel square JPEG, and the room tells its occupants the new avatar
// (a presence from the room with that JPEG's hash, fetched back from
// Telegram); a vCard without PHOTO removes it, and the room says none.
func TestGatewayRoomPicture(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	ctx := ctxT(t)
	group := g.JID("-88")
	if err := d.SendRaw(ctx, `<presence to='`+group+`/dora'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	if self := g.Next(d, "self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == group && strings.Contains(s.XML, `code="110"`)
	}); self.Type == "error" {
		t.Fatalf("join: %s", self.XML)
	}
	avatarNews := func(what string) string {
		t.Helper()
		st := g.Next(d, what, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == group && strings.Contains(s.XML, "vcard-temp:x:update")
		})
		m := photoHashRe.FindStringSubmatch(st.XML)
		if m == nil || st.Type != "" {
			t.Fatalf("%s: %s", what, st.XML)
		}
		return m[1]
	}

	img := image.NewRGBA(image.Rect(0, 0, 1200, 800))
	for x := range 1200 {
		for y := range 800 {
			img.Set(x, y, color.RGBA{R: uint8(x / 4), G: 90, B: uint8(y / 3), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	st, err := d.IQ(ctx, `<iq type='set' to='`+group+`'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>`+
		base64.StdEncoding.EncodeToString(b.Bytes())+`</BINVAL></PHOTO></vCard></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("the room's vCard set: %v %s", err, st.XML)
	}
	pic := srv.Picture(&tg.PeerChat{ChatID: 88})
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(pic)); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("the group's picture on Telegram: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	sum := sha1.Sum(pic)
	if h := avatarNews("the room's new avatar"); h != hex.EncodeToString(sum[:]) {
		t.Errorf("the room's avatar hash %q; want the picture on Telegram's, %x", h, sum)
	}

	st, err = d.IQ(ctx, `<iq type='set' to='`+group+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("the room's vCard without PHOTO: %v %s", err, st.XML)
	}
	if srv.Picture(&tg.PeerChat{ChatID: 88}) != nil {
		t.Error("the group's picture is still on Telegram")
	}
	if h := avatarNews("the room's avatar removed"); h != "" {
		t.Errorf("the room's avatar hash after the removal: %q, want none", h)
	}
}

// The user's XMPP avatar as their Telegram profile photo, through the
// gateway and a real Prosody: dora turns the gateway's profile-picture
// command on, and her avatar (a vCard-temp PHOTO, its hash in her
// presence) reaches Telegram as a 640-pixel square JPEG; a vCard without
// PHOTO and an empty photo hash remove it. Her avatar is set before she
// turns sharing on, after her first presence (no avatar then): the
// removal's empty hash is not taken for one already acted on.
func TestGatewayProfilePicture(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 900, 700))); err != nil {
		t.Fatal(err)
	}
	g.SetVCardPhoto(d, b.Bytes(), "image/png")
	g.ShareAvatar(d)
	g.Eventually("her profile photo on Telegram", func() bool { return srv.ProfilePhoto(dora.ID) != nil })
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(srv.ProfilePhoto(dora.ID))); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("her profile photo on Telegram: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	g.SetAvatar(d, nil, "")
	g.Eventually("her profile photo removed", func() bool { return srv.ProfilePhoto(dora.ID) == nil })
}
