package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// photoHash is the XEP-0153 photo hash of a presence; ok is false
// without one.
func photoHash(t *testing.T, p xmpptest.Stanza) (hash string, ok bool) {
	t.Helper()
	var x struct {
		Photo *string `xml:"vcard-temp:x:update x>photo"`
	}
	if err := p.Unmarshal(&x); err != nil {
		t.Fatalf("presence: %v %s", err, p.XML)
	}
	if x.Photo == nil {
		return "", false
	}
	return *x.Photo, true
}

// TestVCardFindsAvatarGone: a contact removed their picture and the
// network did not say so (testdata/staleavatar: the same avatar ID, no
// event). The user's vCard request finds no picture: the contact's
// presence goes again with an empty XEP-0153 photo and the XEP-0084
// metadata empty, so that the user's clients drop the old picture.
// Before, the presence kept the old picture's hash and the clients kept
// showing it.
func TestVCardFindsAvatarGone(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true, plugin: testPlugin(t, "staleavatar")})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	pic := "pic@" + domain
	// The first fetch, at the contact sync, found the picture.
	p := nextPresence(t, alice, pic, "", func(s xmpptest.Stanza) bool { h, _ := photoHash(t, s); return h != "" })
	old, _ := photoHash(t, p)

	vc, err := alice.IQ(ctxT(t), `<iq type='get' to='`+pic+`'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || vc.Type != "result" || strings.Contains(vc.XML, "<PHOTO") {
		t.Fatalf("vCard of a contact without a picture: %v %s", err, vc.XML)
	}
	p = nextPresence(t, alice, pic, "", func(s xmpptest.Stanza) bool { _, ok := photoHash(t, s); return ok })
	if h, _ := photoHash(t, p); h != "" {
		t.Errorf("the presence after the vCard found no picture: photo %q (the old one was %q), want empty: %s", h, old, p.XML)
	}
	// XEP-0084: after the first fetch's metadata, empty metadata.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
		return bareJID(s.From) == pic && strings.Contains(s.XML, "urn:xmpp:avatar:metadata") && !strings.Contains(s.XML, "<info")
	}); err != nil {
		t.Errorf("no empty avatar metadata after the vCard found no picture: %v", err)
	}
}

// TestAvatarFetchRetried: a contact's avatar whose fetch failed (the
// network timed out: testdata/flakyavatar's first UserInfo) is fetched
// again at the next contact sync, here the one after a restart of the
// plugin. Before, the failed fetch counted as done for the avatar's ID,
// and the contact went without its picture until it changed it.
func TestAvatarFetchRetried(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true, plugin: testPlugin(t, "flakyavatar")})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	pic := "pic@" + domain
	p := nextPresence(t, alice, pic, "", nil)
	if h, ok := photoHash(t, p); ok {
		t.Fatalf("a photo hash %q when the fetch failed: %s", h, p.XML)
	}

	s.killPlugin()
	nextPresence(t, alice, pic, "", func(s xmpptest.Stanza) bool { h, _ := photoHash(t, s); return h != "" })
}
