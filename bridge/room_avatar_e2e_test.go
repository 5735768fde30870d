package bridge_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"image"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

var (
	avatarHashRe = regexp.MustCompile(`var="muc#roominfo_avatarhash"[^>]*><value>([0-9a-f]+)</value>`)
	binvalRe     = regexp.MustCompile(`<BINVAL>([^<]+)</BINVAL>`)
	photoRe      = regexp.MustCompile(`<photo>([0-9a-f]*)</photo>|<photo/>|<photo></photo>`)
)

// roomAvatarHash is the picture's hash in the room's disco#info, "" for
// none.
func roomAvatarHash(t *testing.T, c *xmpptest.Client) string {
	t.Helper()
	info, err := c.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("room disco#info: %v %s", err, info.XML)
	}
	if !strings.Contains(info.XML, `var="vcard-temp"`) {
		t.Errorf("room disco#info lacks vcard-temp: %s", info.XML)
	}
	if m := avatarHashRe.FindStringSubmatch(info.XML); m != nil {
		return m[1]
	}
	return ""
}

// roomPicture is the picture in the room's vCard and its SHA-1.
func roomPicture(t *testing.T, c *xmpptest.Client) ([]byte, string) {
	t.Helper()
	vc, err := c.IQ(ctxT(t), `<iq type='get' to='`+room+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || vc.Type != "result" || !strings.Contains(vc.XML, "<FN>Echo room</FN>") {
		t.Fatalf("room vCard: %v %s", err, vc.XML)
	}
	m := binvalRe.FindStringSubmatch(vc.XML)
	if m == nil {
		return nil, ""
	}
	if !strings.Contains(vc.XML, "<TYPE>image/png</TYPE>") {
		t.Errorf("room vCard photo without its type: %s", vc.XML)
	}
	img, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatalf("room vCard photo: %v", err)
	}
	sum := sha1.Sum(img)
	return img, hex.EncodeToString(sum[:])
}

// roomPhotoUpdate waits for the room's presence naming a picture hash.
func roomPhotoUpdate(t *testing.T, c *xmpptest.Client, what string) string {
	t.Helper()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.From == room && strings.Contains(s.XML, "vcard-temp:x:update")
	})
	if err != nil {
		t.Fatalf("no room presence for %s: %v", what, err)
	}
	m := photoRe.FindStringSubmatch(st.XML)
	if m == nil || st.Type != "" {
		t.Fatalf("room presence for %s: %s", what, st.XML)
	}
	return m[1]
}

// roomConfigChanged waits for the room's status 104 message (XEP-0045
// §10.2.1), which XEP-0486 has a room send when its picture changes.
func roomConfigChanged(t *testing.T, c *xmpptest.Client, what string) {
	t.Helper()
	st, err := c.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.From == room && strings.Contains(s.XML, `code="104"`)
	})
	if err != nil || st.Type != "groupchat" {
		t.Fatalf("no status 104 from the room for %s: %v %s", what, err, st.XML)
	}
}

// roomPictureFetched waits until the group's picture, fetched in the
// background once the room is known, is the room's; it returns its hash.
func roomPictureFetched(t *testing.T, c *xmpptest.Client) string {
	t.Helper()
	var hash string
	for deadline := time.Now().Add(timeout); hash == ""; time.Sleep(50 * time.Millisecond) {
		if hash = roomAvatarHash(t, c); hash == "" && time.Now().After(deadline) {
			t.Fatal("the room's disco#info never named its picture")
		}
	}
	return hash
}

// TestRoomAvatar: the group's picture is the room's avatar (XEP-0486):
// its hash in disco#info, the picture in the room's vCard, the hash in a
// presence from the room at join and when the picture changes or goes,
// then a status 104 message (which was missing: Gajim reads the room's
// disco#info again on it, and kept the old picture until a rejoin).
func TestRoomAvatar(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")

	hash := roomPictureFetched(t, alice)
	img, vhash := roomPicture(t, alice)
	if len(img) == 0 || vhash != hash {
		t.Fatalf("vCard picture's hash %s, disco#info's %s", vhash, hash)
	}
	j := join(t, alice, "a", "")
	if m := photoRe.FindStringSubmatch(j.picture.XML); m == nil || m[1] != hash {
		t.Fatalf("join: room presence %q, want the picture's hash %s", j.picture.XML, hash)
	}
	if len(j.occupants) != 2 {
		t.Errorf("the room's own presence counted as an occupant: %d occupants", len(j.occupants))
	}

	// A new picture on the network.
	groupchat(t, alice, "picture")
	next := roomPhotoUpdate(t, alice, "a new picture")
	if next == "" || next == hash {
		t.Fatalf("new picture's hash %q (was %s)", next, hash)
	}
	roomConfigChanged(t, alice, "a new picture")
	if got := roomAvatarHash(t, alice); got != next {
		t.Errorf("disco#info names %s, the presence %s", got, next)
	}
	if _, vhash := roomPicture(t, alice); vhash != next {
		t.Errorf("vCard picture's hash %s, want %s", vhash, next)
	}

	// The picture removed.
	groupchat(t, alice, "picture none")
	if h := roomPhotoUpdate(t, alice, "no picture"); h != "" {
		t.Fatalf("picture removed: presence names %s", h)
	}
	roomConfigChanged(t, alice, "no picture")
	if got := roomAvatarHash(t, alice); got != "" {
		t.Errorf("disco#info still names %s", got)
	}
	if img, _ := roomPicture(t, alice); img != nil {
		t.Errorf("vCard still has a picture")
	}
}

// TestRoomOccupantAvatar: a member's avatar in a room (XEP-0153): the
// occupant's vCard is the member's profile with its picture, and the
// occupant presences of a later join carry the picture's hash. The
// user's own occupant and a nick no one has get item-not-found.
func TestRoomOccupantAvatar(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	j := join(t, alice, "a", "")
	vc, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`/Echo One'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || vc.Type != "result" || !strings.Contains(vc.XML, "<FN>Echo One</FN>") {
		t.Fatalf("occupant vCard: %v %s", err, vc.XML)
	}
	m := binvalRe.FindStringSubmatch(vc.XML)
	if m == nil {
		t.Fatalf("no picture in the occupant's vCard: %s", vc.XML)
	}
	img, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(img)
	hash := hex.EncodeToString(sum[:])

	later := join(t, s.loginResource("alice", "phone"), "a", "")
	photos := map[string]string{}
	for _, o := range later.occupants {
		if p := photoRe.FindStringSubmatch(o.XML); p != nil {
			photos[nick(o.From)] = p[1]
		}
	}
	if photos["Echo One"] != hash || photos["Echo Two"] != "" {
		t.Fatalf("occupant photos %v, want Echo One's %s alone", photos, hash)
	}

	// The user's own occupant is answered as any member's
	// (room_occupant_iq.go): alice has no picture on the network.
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`/`+nick(j.self.From)+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || st.Err != nil || !strings.Contains(st.XML, "<vCard") || strings.Contains(st.XML, "<PHOTO") {
		t.Fatalf("vCard of alice's own occupant: %v %s", err, st.XML)
	}
	st, err = alice.IQ(ctxT(t), `<iq type='get' to='`+room+`/Nobody'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "item-not-found" {
		t.Fatalf("vCard of Nobody: %v %s", err, st.XML)
	}
}

// TestRoomAvatarSet: an owner's client sets the room's avatar as
// XEP-0486 has it, a vCard-temp set to the room: the picture becomes the
// group's on the network, and the network's new picture reaches the
// occupants (presence, disco#info, vCard). A vCard without PHOTO removes
// it. What is no image, or not base64, or a link, is refused with the
// reason and changes nothing.
func TestRoomAvatarSet(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	// Else the fetch's presence, naming the group's first picture, may
	// come after the join, and be taken for the one of the picture set.
	roomPictureFetched(t, alice)
	join(t, alice, "a", "")
	b := bytes.NewBuffer(shadePNG(t, 0x42))
	set := func(photo string) xmpptest.Stanza {
		t.Helper()
		res, err := alice.IQ(ctxT(t), `<iq type='set' to='`+room+`'><vCard xmlns='vcard-temp'>`+photo+`</vCard></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Wrapped as clients wrap long base64 (76 columns).
	enc := base64.StdEncoding.EncodeToString(b.Bytes())
	var wrapped strings.Builder
	for i := 0; i < len(enc); i += 76 {
		wrapped.WriteString(enc[i:min(i+76, len(enc))] + "\n")
	}
	if res := set(`<FN>ignored</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>` + wrapped.String() + `</BINVAL></PHOTO>`); res.Type != "result" {
		t.Fatalf("set the room's picture: %s", res.XML)
	}
	sum := sha1.Sum(b.Bytes())
	want := hex.EncodeToString(sum[:])
	if got := roomPhotoUpdate(t, alice, "the picture set"); got != want {
		t.Fatalf("the room's presence names %q, want the picture set's hash %s", got, want)
	}
	if got, vhash := roomPicture(t, alice); !bytes.Equal(got, b.Bytes()) || vhash != want {
		t.Errorf("the room's vCard picture %x (hash %s), want the one set", got, vhash)
	}
	if got := roomAvatarHash(t, alice); got != want {
		t.Errorf("disco#info names %s, want %s", got, want)
	}

	for _, c := range []struct{ photo, cond string }{
		{`<PHOTO><TYPE>image/png</TYPE><BINVAL>` + base64.StdEncoding.EncodeToString([]byte("not a picture at all")) + `</BINVAL></PHOTO>`, "not-acceptable"},
		{`<PHOTO><TYPE>image/png</TYPE><BINVAL>%%%not base64</BINVAL></PHOTO>`, "bad-request"},
		{`<PHOTO><EXTVAL>https://example.org/a.png</EXTVAL></PHOTO>`, "not-acceptable"},
	} {
		if res := set(c.photo); res.Type != "error" || !strings.Contains(res.XML, "<"+c.cond) {
			t.Errorf("set %s: %s, want a %s error", c.photo, res.XML, c.cond)
		}
	}
	if got := roomAvatarHash(t, alice); got != want {
		t.Errorf("after the refusals disco#info names %s, want %s still", got, want)
	}

	if res := set(`<FN>Echo room</FN>`); res.Type != "result" {
		t.Fatalf("remove the room's picture: %s", res.XML)
	}
	if h := roomPhotoUpdate(t, alice, "no picture"); h != "" {
		t.Fatalf("picture removed: presence names %s", h)
	}
	if img, _ := roomPicture(t, alice); img != nil {
		t.Errorf("vCard still has a picture")
	}
}

// shadePNG is a 4x4 PNG of one shade.
func shadePNG(t *testing.T, shade byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestOccupantVCardFromNonOccupant: a vCard-temp query to an occupant
// from a resource of the user that is not joined is refused
// not-acceptable, as Prosody's MUC refuses it (and every IQ to an
// occupant from a resource not joined: it was bad-request, as a disco
// query, the one XEP-0045 §6.7 names); the joined resource gets the
// member's profile. The resource not joined got the member's name and
// picture, then bad-request.
func TestOccupantVCardFromNonOccupant(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	phone := s.loginResource("alice", "phone")
	iq := `<iq type='get' to='` + room + `/Echo One'><vCard xmlns='vcard-temp'/></iq>`
	st, err := phone.IQ(ctxT(t), iq)
	if err != nil || st.Type != "error" || st.Err == nil || st.Err.Condition != "not-acceptable" {
		t.Errorf("an occupant's vCard asked from a resource not joined: want not-acceptable, got %v %s", err, st.XML)
	}
	if st.Type == "error" && strings.Contains(st.XML, "Echo One</FN>") {
		t.Errorf("the refusal carries the member's profile: %s", st.XML)
	}
	if st, err := alice.IQ(ctxT(t), iq); err != nil || st.Type != "result" || !strings.Contains(st.XML, "<FN>Echo One</FN>") {
		t.Errorf("an occupant's vCard asked from the joined resource: %v %s", err, st.XML)
	}
}
