package gatewaytest

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// ShareAvatar has the user c let the gateway see their presence (the
// subscription XEP-0100 asks for at login) and turn on its
// profile-picture command: their avatar becomes their profile picture on
// the network.
func (g *Gateway) ShareAvatar(c *xmpptest.Client) {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.SendRaw(ctx, `<presence type='subscribed' to='`+g.Domain+`'/>`); err != nil {
		g.T.Fatal(err)
	}
	r, st := g.Command(c, "profile-picture", "", "", nil)
	if st.Type != "result" || r.Command.SessionID == "" {
		g.T.Fatalf("profile-picture: %s", st.XML)
	}
	if r, st = g.Command(c, "profile-picture", r.Command.SessionID, "", map[string]string{"share": "1"}); !strings.Contains(r.Notes(), "is now your") {
		g.T.Fatalf("turning profile-picture on: %s", st.XML)
	}
}

// SetAvatar sets the user c's avatar as a vCard-based client does: the
// vCard-temp PHOTO (none for nil img), then a presence naming its hash
// (XEP-0153).
func (g *Gateway) SetAvatar(c *xmpptest.Client, img []byte, mime string) {
	g.T.Helper()
	hash := g.SetVCardPhoto(c, img, mime)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.SendRaw(ctx, `<presence><x xmlns='vcard-temp:x:update'><photo>`+hash+`</photo></x></presence>`); err != nil {
		g.T.Fatal(err)
	}
}

// SetVCardPhoto sets the user c's vCard-temp PHOTO (none for nil img)
// and returns its hash, without a presence to say so.
func (g *Gateway) SetVCardPhoto(c *xmpptest.Client, img []byte, mime string) string {
	g.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	photo, hash := "", ""
	if img != nil {
		sum := sha1.Sum(img)
		hash = hex.EncodeToString(sum[:])
		photo = `<PHOTO><TYPE>` + mime + `</TYPE><BINVAL>` + base64.StdEncoding.EncodeToString(img) + `</BINVAL></PHOTO>`
	}
	if st, err := c.IQ(ctx, `<iq type='set'><vCard xmlns='vcard-temp'>`+photo+`</vCard></iq>`); err != nil || st.Type != "result" {
		g.T.Fatalf("vCard set: %v %s", err, st.XML)
	}
	return hash
}

// Eventually waits until ok, failing the test with what after Timeout.
func (g *Gateway) Eventually(what string, ok func() bool) {
	g.T.Helper()
	for deadline := time.Now().Add(Timeout); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			g.T.Fatalf("%s: not within %s", what, Timeout)
		}
	}
}
