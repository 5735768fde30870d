package whatsapp_test

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// The user's XMPP avatar as their WhatsApp profile picture, through a
// real Prosody, the gateway and the plugin process on the remote fake:
// turned on with the gateway's profile-picture command, it reaches
// WhatsApp as the 640-pixel square JPEG its apps send; removed from the
// vCard, it is removed there.
func TestGatewayProfilePicture(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	g.SetVCardPhoto(alice, plugintest.PNG(1200, 900, color.RGBA{R: 150, A: 255}), "image/png")
	g.ShareAvatar(alice)
	g.Eventually("her profile picture on WhatsApp", func() bool { return len(srv.Uploaded(wafake.ProfilePhotoPath)) > 0 })
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(srv.Uploaded(wafake.ProfilePhotoPath))); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("her profile picture on WhatsApp: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	g.SetAvatar(alice, nil, "")
	g.Eventually("her profile picture removed", func() bool { return len(srv.Uploaded(wafake.ProfilePhotoPath)) == 0 })
}
