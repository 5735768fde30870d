package bridge_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestMemberAvatarKeptAcrossRestart: the avatar of a group member who is
// no contact, fetched once (a client asked for the occupant's vCard), is
// stored, so that after a restart of the gateway the member's occupant
// presence carries the picture's hash at once: a client that has the
// picture does not ask for it, and the network is not asked again
// (testdata/countavatar counts its UserInfo calls). Before, members'
// avatars were kept in memory only: after a restart the occupant came
// without a hash, and the client fetched the picture again.
func TestMemberAvatarKeptAcrossRestart(t *testing.T) {
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, "group"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{privileged: true, plugin: testPlugin(t, "countavatar"),
		extra: "[transport.config]\nstate_dir = " + `"` + state + `"` + "\n"})
	alice := s.user("alice")
	s.waitGateway(alice)
	s.logs.waitLog(t, "privileges granted by the server", timeout)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	grp := "grp@" + domain
	fetches := func() int {
		b, err := os.ReadFile(filepath.Join(state, "userinfo"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return strings.Count(string(b), "mem\n")
	}
	occupant := func() xmpptest.Stanza {
		t.Helper()
		raw(t, alice, `<presence to='`+grp+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		return nextPresence(t, alice, grp, "", func(st xmpptest.Stanza) bool { return st.From == grp+"/Mem" })
	}
	if h, ok := photoHash(t, occupant()); ok && h != "" {
		t.Fatalf("the member's picture known before any fetch: %q", h)
	}
	v, err := alice.IQ(ctxT(t), `<iq type='get' to='`+grp+`/Mem'><vCard xmlns='vcard-temp'/></iq>`)
	if err != nil || v.Type != "result" || !strings.Contains(v.XML, "BINVAL") {
		t.Fatalf("the occupant's vCard: %v %s", err, v.XML)
	}
	if n := fetches(); n != 1 {
		t.Fatalf("%d fetches of the member's avatar, want 1", n)
	}
	want, _ := photoHash(t, occupant()) // the join again shows what the fetch found
	if want == "" {
		t.Fatal("no photo hash after the fetch")
	}

	s.stop()
	s.start()
	s.waitGateway(alice)
	if h, _ := photoHash(t, occupant()); h != want {
		t.Errorf("the member's photo hash after a restart %q, want the stored %q", h, want)
	}
	if n := fetches(); n != 1 {
		t.Errorf("%d fetches of the member's unchanged avatar after a restart, want the first one alone", n)
	}
}
