package bridge

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
)

// TestRoomBounceShowsRemainingAvailability: the phone, joined last and
// away, goes without leaving; its bounce takes it out, and the laptop,
// still joined, is told the user's occupant now shows the laptop's
// availability, as when the phone leaves (leaveResource). Before, the
// laptop was told nothing and kept showing the user away, on a client
// that was gone.
func TestRoomBounceShowsRemainingAvailability(t *testing.T) {
	tr, _, r, sent := occupantFixture(t)
	r.mu.Lock()
	r.setShowLocked("laptop", "", "")
	r.setShowLocked("phone", "away", "on the road")
	r.mu.Unlock()
	st, err := wire.Parse(`<message type="error" from="alice@localhost/phone" to="g1@echo.localhost/One"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`)
	if err != nil {
		t.Fatal(err)
	}
	before := len(sent())
	if !tr.roomBounce(context.Background(), st) {
		t.Fatal("the phone's bounce: not dropped")
	}
	var got []*wire.Stanza
	for _, st := range sent()[before:] {
		if st.Kind() == "presence" {
			got = append(got, st)
		}
	}
	if len(got) != 1 || got[0].To() != "alice@localhost/laptop" {
		t.Fatalf("presences after the phone's bounce: %d (%v), want one to the laptop", len(got), got)
	}
	p := got[0]
	if p.Type() != "" || p.Child("", "show") != nil || p.Child("", "status") != nil {
		t.Errorf("the laptop's self-presence: type %q, show %v, status %v; want available", p.Type(), p.Child("", "show"), p.Child("", "status"))
	}
	if x := p.Child("http://jabber.org/protocol/muc#user", "x"); x == nil || !strings.Contains(p.From(), "g1@echo.localhost/") {
		t.Errorf("not the user's occupant presence: from %s, muc#user %v", p.From(), x)
	}

	// The same bounce again (another message on its way to the phone):
	// nothing more.
	before = len(sent())
	tr.roomBounce(context.Background(), st)
	for _, st := range sent()[before:] {
		if st.Kind() == "presence" {
			t.Errorf("a presence after a second bounce: to %s", st.To())
		}
	}
}
