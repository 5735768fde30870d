package bridge_test

import (
	"strings"
	"testing"
)

// TestAdminCommandUserAsWritten: an admin's command names its user as
// an admin writes or pastes a JID: with a resource (copied from a
// client's occupant list or log line) or in other case, it is the user's
// bare JID, as the server writes it. It was taken as written: "has no
// login". A value that is no user's JID says what to write.
func TestAdminCommandUserAsWritten(t *testing.T) {
	s := newStack(t, stackOptions{})
	registered(t, s, "alice")
	admin := s.user("admin")
	for _, v := range []string{"alice@localhost/phone", "Alice@LocalHost"} {
		r, _ := command(t, admin, "admin-disconnect", "", "", nil)
		r, _ = command(t, admin, "admin-disconnect", r.Command.SessionID, "complete", map[string]string{"user": v})
		if !strings.Contains(r.Notes(), "alice@localhost was disconnected") {
			t.Errorf("admin-disconnect of %q: %s", v, r.XML)
		}
	}
	for _, v := range []string{"", "  ", "localhost", "alice@@localhost"} {
		r, _ := command(t, admin, "admin-remove", "", "", nil)
		r, _ = command(t, admin, "admin-remove", r.Command.SessionID, "complete", map[string]string{"user": v})
		if !strings.Contains(r.Notes(), "bare JID, such as alice@example.org") {
			t.Errorf("admin-remove of %q: %s", v, r.XML)
		}
	}
	// Nothing was removed by those.
	r, _ := command(t, admin, "admin-users", "", "", nil)
	if !strings.Contains(r.Notes(), "alice@localhost: alice") {
		t.Errorf("admin-users after the refused removals: %s", r.XML)
	}
}
