package bridge_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestProfilePicture: with the profile-picture command turned on, alice's
// XMPP avatar becomes her profile picture on the network (the echo
// network shows it as Echo Two's avatar), and follows its changes and its
// removal; off, as it starts, and after she turns it off, nothing of her
// avatar reaches the network. The gateway learns of a change from the
// photo hash in her presence (XEP-0153) and takes the picture from her
// vCard on her server; a presence naming the picture already set sends
// nothing, and a vCard whose PHOTO is no image is refused with a message
// to her, once, not at each of her presences. The choice survives a restart of the gateway.
func TestProfilePicture(t *testing.T) {
	s, alice := privilegedAlice(t)
	// She lets the gateway see her presence (XEP-0100 asks at login).
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	s.logs.waitLog(t, "gateway_sees_presence=true", timeout)

	sets := func() int { return s.logs.Count(`msg="avatar set as the profile picture"`) }
	// The set is logged once stored, which may be after Echo Two shows it.
	waitSets := func(n int) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for sets() < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := sets(); got != n {
			t.Errorf("%d pictures set, want %d", got, n)
		}
	}

	// Off as it starts: her avatar stays hers.
	first := setOwnVCard(t, alice, shadePNG(t, 0x11))
	echoOK(t, alice, "not shared", timeout)
	if n := sets(); n != 0 {
		t.Fatalf("an avatar was set on the network without her asking (%d)", n)
	}

	form, _ := command(t, alice, "profile-picture", "", "", nil)
	if typ, vals, ok := form.Field("share"); !ok || typ != "boolean" || len(vals) != 1 || vals[0] != "0" {
		t.Fatalf("profile-picture form: %s", form.XML)
	}
	done, _ := command(t, alice, "profile-picture", form.Command.SessionID, "", map[string]string{"share": "true"})
	if !strings.Contains(done.Notes(), "info: Your XMPP avatar is now your") {
		t.Fatalf("turning it on: %s", done.XML)
	}
	mirrorPhoto(t, alice, "turned on", first)

	second := setOwnVCard(t, alice, shadePNG(t, 0x22))
	mirrorPhoto(t, alice, "a new avatar", second)
	waitSets(2)
	// The same hash again: nothing to do.
	raw(t, alice, `<presence><show>away</show><x xmlns='vcard-temp:x:update'><photo>`+second+`</photo></x></presence>`)
	echoOK(t, alice, "same avatar", timeout)
	if n := sets(); n != 2 {
		t.Errorf("the same avatar was set again (%d sets)", n)
	}

	// No image: refused, said, nothing set.
	if r, err := alice.IQ(ctxT(t), `<iq type='set'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>`+
		base64.StdEncoding.EncodeToString([]byte("not a picture at all"))+`</BINVAL></PHOTO></vCard></iq>`); err != nil || r.Type != "result" {
		t.Fatalf("vCard set: %v %s", err, r.XML)
	}
	raw(t, alice, `<presence><x xmlns='vcard-temp:x:update'><photo>0123456789abcdef0123456789abcdef01234567</photo></x></presence>`)
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.From == domain && strings.Contains(st.XML, "could not be set as your") &&
			strings.Contains(st.XML, "JPEG, PNG, GIF or WebP")
	}); err != nil {
		t.Fatalf("no word of the refused picture: %v", err)
	}
	// Her next presences name the same hash: not tried, nor told, again.
	raw(t, alice, `<presence><show>dnd</show><x xmlns='vcard-temp:x:update'><photo>0123456789abcdef0123456789abcdef01234567</photo></x></presence>`)
	echoOK(t, alice, "refused once", timeout)
	if n := s.logs.Count(`msg="avatar not set as the profile picture"`); n != 1 {
		t.Errorf("the refused picture was tried %d times, want once", n)
	}

	// Removed: the network's picture goes too.
	setOwnVCard(t, alice, nil)
	mirrorPhoto(t, alice, "removed", "")
	waitSets(3)

	// The choice survives a restart.
	s.stop()
	s.start()
	s.logs.waitLog(t, "contacts=3 added=0", timeout)
	form, _ = command(t, alice, "profile-picture", "", "", nil)
	if _, vals, _ := form.Field("share"); len(vals) != 1 || vals[0] != "1" {
		t.Fatalf("the choice was lost in a restart: %s", form.XML)
	}
	third := setOwnVCard(t, alice, shadePNG(t, 0x33))
	mirrorPhoto(t, alice, "after the restart", third)
	waitSets(4)

	// Off: changes stay hers.
	done, _ = command(t, alice, "profile-picture", form.Command.SessionID, "", map[string]string{"share": "0"})
	if !strings.Contains(done.Notes(), "no longer follows your XMPP avatar") {
		t.Fatalf("turning it off: %s", done.XML)
	}
	before := sets()
	setOwnVCard(t, alice, shadePNG(t, 0x44))
	echoOK(t, alice, "off again", timeout)
	if n := sets(); n != before {
		t.Errorf("an avatar was set after she turned sharing off")
	}
}

// TestProfilePictureTakenBack: alice sets an avatar and takes it back
// while the network still sets it (the plugin held, SIGSTOP). Her
// presence without a photo names the hash the gateway had noted before
// the set (none), so it was dropped and the network kept the picture she
// took back; now it is looked at once the set is done, and the picture
// goes.
func TestProfilePictureTakenBack(t *testing.T) {
	s, alice := privilegedAlice(t)
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	s.logs.waitLog(t, "gateway_sees_presence=true", timeout)
	form, _ := command(t, alice, "profile-picture", "", "", nil)
	if done, _ := command(t, alice, "profile-picture", form.Command.SessionID, "", map[string]string{"share": "true"}); !strings.Contains(done.Notes(), "info: Your XMPP avatar is now your") {
		t.Fatalf("turning it on: %s", done.XML)
	}

	resume := s.holdPlugin()
	set := setOwnVCard(t, alice, shadePNG(t, 0x55))
	s.logs.waitLog(t, `user=alice@localhost hash=`+set+` bytes=`, timeout) // "setting the avatar as the profile picture"
	setOwnVCard(t, alice, nil)
	// The gateway answers this itself, after reading her presence.
	if r, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`); err != nil || r.Type != "result" {
		t.Fatalf("disco#info: %v %s", err, r.XML)
	}
	resume()

	// Set, then taken back on the network. (Echo Two mirrors each, but
	// its presence with the set picture may never show: the fetch of
	// its picture may come after the take-back, and show only that. It
	// failed so in a clean-clone CI run under load.)
	s.logs.waitLog(t, `msg="avatar set as the profile picture" transport=echo user=alice@localhost hash=`+set+` `, timeout)
	s.logs.waitLog(t, `msg="avatar set as the profile picture" transport=echo user=alice@localhost hash="" bytes=0`, timeout)
	mirrorPhoto(t, alice, "taken back", "")
}

// TestProfilePictureStaleHash: while the network sets alice's new
// avatar, another of her clients still names the old one in its
// presence. Once the set is done her vCard says the new one, which
// stays; when she later takes the old one back for real, it is set. That
// stale presence once marked the old hash tried, so the later change was
// never looked at.
func TestProfilePictureStaleHash(t *testing.T) {
	s, alice := privilegedAlice(t)
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	s.logs.waitLog(t, "gateway_sees_presence=true", timeout)
	old := setOwnVCard(t, alice, shadePNG(t, 0x66))
	form, _ := command(t, alice, "profile-picture", "", "", nil)
	command(t, alice, "profile-picture", form.Command.SessionID, "", map[string]string{"share": "true"})
	mirrorPhoto(t, alice, "the first avatar", old)

	resume := s.holdPlugin()
	next := setOwnVCard(t, alice, shadePNG(t, 0x77))
	s.logs.waitLog(t, `user=alice@localhost hash=`+next+` bytes=`, timeout) // "setting the avatar as the profile picture"
	raw(t, alice, `<presence><show>away</show><x xmlns='vcard-temp:x:update'><photo>`+old+`</photo></x></presence>`)
	if r, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`); err != nil || r.Type != "result" {
		t.Fatalf("disco#info: %v %s", err, r.XML)
	}
	resume()
	mirrorPhoto(t, alice, "the new avatar", next)

	setOwnVCard(t, alice, shadePNG(t, 0x66))
	mirrorPhoto(t, alice, "the first avatar again", old)
}

// setOwnVCard sets alice's vCard with photo (none when nil) and sends the
// presence her clients send then (XEP-0153); it returns the photo's hash.
func setOwnVCard(t *testing.T, alice *xmpptest.Client, photo []byte) string {
	t.Helper()
	vc := `<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>`
	hash := ""
	if photo != nil {
		sum := sha1.Sum(photo)
		hash = hex.EncodeToString(sum[:])
		vc = `<vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>` +
			base64.StdEncoding.EncodeToString(photo) + `</BINVAL></PHOTO></vCard>`
	}
	if r, err := alice.IQ(ctxT(t), `<iq type='set'>`+vc+`</iq>`); err != nil || r.Type != "result" {
		t.Fatalf("vCard set: %v %s", err, r.XML)
	}
	raw(t, alice, `<presence><x xmlns='vcard-temp:x:update'><photo>`+hash+`</photo></x></presence>`)
	return hash
}

// mirrorPhoto waits for Echo Two, whose avatar the echo network makes the
// user's profile picture, to show the picture of hash want ("" for none),
// and checks its vCard holds that picture.
func mirrorPhoto(t *testing.T, alice *xmpptest.Client, what, want string) {
	t.Helper()
	mirror := "echo-2@" + domain
	nextPresence(t, alice, mirror, "", func(st xmpptest.Stanza) bool {
		m := photoRe.FindStringSubmatch(st.XML)
		return m != nil && m[1] == want
	})
	if want == "" {
		return
	}
	vc, err := alice.IQ(ctxT(t), `<iq type='get' to='`+mirror+`'><vCard xmlns='vcard-temp'/></iq>`)
	m := binvalRe.FindStringSubmatch(vc.XML)
	if err != nil || m == nil {
		t.Fatalf("%s: Echo Two's vCard: %v %s", what, err, vc.XML)
	}
	img, _ := base64.StdEncoding.DecodeString(m[1])
	if sum := sha1.Sum(img); hex.EncodeToString(sum[:]) != want {
		t.Fatalf("%s: Echo Two's picture is not hers", what)
	}
}
