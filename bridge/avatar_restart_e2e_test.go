package bridge_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestAvatarKeptAcrossRestart: a contact's avatar ID and picture hash are
// stored, so that after a restart of the gateway an unchanged avatar is
// not fetched again (testdata/countavatar counts its UserInfo calls) and
// the contact's presence has the picture's hash at once; a changed one is
// fetched once. Before, each restart fetched every contact's avatar
// again.
func TestAvatarKeptAcrossRestart(t *testing.T) {
	state := t.TempDir()
	s := newStack(t, stackOptions{privileged: true, plugin: testPlugin(t, "countavatar"),
		extra: "[transport.config]\nstate_dir = " + `"` + state + `"` + "\n"})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	pic := "pic@" + domain
	withPhoto := func(s xmpptest.Stanza) bool { h, _ := photoHash(t, s); return h != "" }
	fetches := func() int {
		b, err := os.ReadFile(filepath.Join(state, "userinfo"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return strings.Count(string(b), "pic\n")
	}
	h1, _ := photoHash(t, nextPresence(t, alice, pic, "", withPhoto))
	if n := fetches(); n != 1 {
		t.Fatalf("%d fetches of the avatar at the first sync, want 1", n)
	}

	// The same avatar ID after a restart: no fetch, the stored hash.
	s.stop()
	s.start()
	s.waitGateway(alice)
	if h, _ := photoHash(t, nextPresence(t, alice, pic, "", withPhoto)); h != h1 {
		t.Errorf("photo hash after a restart %q, want the stored %q", h, h1)
	}
	if n := fetches(); n != 1 {
		t.Errorf("%d fetches of an unchanged avatar after a restart, want the first one alone", n)
	}

	// A new avatar ID after a restart: fetched once, its new hash.
	if err := os.WriteFile(filepath.Join(state, "avatar_id"), []byte("pic-v2"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.stop()
	s.start()
	s.waitGateway(alice)
	nextPresence(t, alice, pic, "", func(s xmpptest.Stanza) bool { h, _ := photoHash(t, s); return h != "" && h != h1 })
	if n := fetches(); n != 2 {
		t.Errorf("%d fetches after the avatar changed, want 2", n)
	}
}
