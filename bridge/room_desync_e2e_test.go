package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomPresenceNotJoined: a presence without the MUC <x/> to an
// occupant JID from a resource that is not joined (a client that
// believes it still is, after the gateway restarted) is answered as
// Prosody answers it, item-not-found "not currently connected", so the
// client joins again (XEP-0410); a joined resource's status change is
// not. Before, it was ignored without a word.
func TestRoomPresenceNotJoined(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	raw(t, alice, `<presence id='st1' to='`+room+`/a'><show>away</show></presence>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.ID == "st1" })
	if err != nil {
		t.Fatalf("no answer to the status of a resource not joined: %v; pending %v", err, alice.Pending())
	}
	if st.Type != "error" || st.From != room+"/a" || !strings.Contains(st.XML, "<item-not-found") || !strings.Contains(st.XML, `type="cancel"`) {
		t.Fatalf("want an item-not-found error from %s/a, got %s", room, st.XML)
	}

	// Joined, its status change is no error.
	self := nick(join(t, alice, "a", "").self.From)
	raw(t, alice, `<presence id='st2' to='`+room+`/`+self+`'><show>away</show></presence>`)
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == room+"/"+self })
	if err != nil || st.Type == "error" {
		t.Fatalf("a joined resource's status: %v %s", err, st.XML)
	}
}
