package signal_test

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// The user's XMPP avatar as their Signal profile picture, through a real
// Prosody, the gateway and the plugin process against the fake
// signal-cli: turned on with the gateway's profile-picture command, it
// reaches signal-cli's updateProfile as a 640-pixel square JPEG; removed
// from the vCard, it is removed there.
func TestGatewayProfilePicture(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := startFake(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal", PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true})
	user := g.User("alice")
	g.WaitReady(user)
	loginByQR(t, g, user, d)
	g.SetVCardPhoto(user, plugintest.PNG(900, 1200, color.RGBA{G: 150, A: 255}), "image/png")
	g.ShareAvatar(user)
	g.Eventually("her profile picture on Signal", func() bool { return d.ProfileAvatar(alice) != nil })
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(d.ProfileAvatar(alice))); err != nil || cfg.Width != 640 || cfg.Height != 640 {
		t.Fatalf("her profile picture on Signal: %dx%d %v; want a 640x640 JPEG", cfg.Width, cfg.Height, err)
	}
	g.SetAvatar(user, nil, "")
	g.Eventually("her profile picture removed", func() bool { return d.ProfileAvatar(alice) == nil })
}
