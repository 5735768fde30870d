package bridge_test

import (
	"strings"
	"testing"
)

// TestUnregisterCommandAfterLogout: a user who logged out (which keeps
// the gateway in their roster, to log in again) and then runs the
// unregister command, listed to them, is unregistered all the same: the
// gateway leaves their roster (XEP-0100 §4.3). It answered "you are not
// logged in." and stayed, with no command left to remove it. A logout
// without a login says so in a sentence.
func TestUnregisterCommandAfterLogout(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	roster(t, alice)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	nextPresence(t, alice, domain, "subscribe", nil)
	raw(t, alice, `<presence type='subscribed' to='`+domain+`'/>`)
	raw(t, alice, `<presence type='subscribe' to='`+domain+`'/>`)
	nextPresence(t, alice, domain, "subscribed", nil)
	waitRoster(t, alice, "held the gateway in both directions", func(r map[string]rosterItem) bool {
		return r[domain].Sub == "both"
	})
	leave(t, alice, "logout")

	r, _ := command(t, alice, "logout", "", "", nil)
	if n := r.Notes(); !strings.Contains(n, ": You are not logged in") {
		t.Errorf("logout without a login: note %q, want a sentence saying so", n)
	}
	r, _ = command(t, alice, "unregister", "", "", nil)
	if n := r.Notes(); r.Command.Status != "completed" || !strings.Contains(n, "unregistered") {
		t.Errorf("unregister after a logout: %s", r.XML)
	}
	waitRoster(t, alice, "cancelled the gateway's subscriptions", func(r map[string]rosterItem) bool {
		it, ok := r[domain]
		return !ok || it.Sub == "none"
	})
}
