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
	alice := subscribedBothWays(t, s, "alice")
	leave(t, alice, "logout")

	r, _ := command(t, alice, "logout", "", "", nil)
	if n := r.Notes(); !strings.Contains(n, ": You are not logged in") {
		t.Errorf("logout without a login: note %q, want a sentence saying so", n)
	}
	r, _ = command(t, alice, "unregister", "", "", nil)
	if n := r.Notes(); r.Command.Status != "completed" || !strings.Contains(n, "unregistered") {
		t.Errorf("unregister after a logout: %s", r.XML)
	}
	waitGatewayLeft(t, alice)
}
