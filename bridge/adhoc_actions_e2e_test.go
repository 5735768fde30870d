package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestCommandActionNotOffered: a stage answered with an action it did
// not offer (complete where the login's stage offers next, next where
// an admin's form offers complete) is bad-action (XEP-0050 §4.4), and
// the session goes on: the stage submitted as offered works. Before,
// the action ran as execute and submitted the stage.
func TestCommandActionNotOffered(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	badAction := func(what string, st xmpptest.Stanza) {
		t.Helper()
		if st.Type != "error" || st.Err == nil || st.Err.Condition != "bad-request" ||
			!strings.Contains(st.XML, `<bad-action xmlns="http://jabber.org/protocol/commands"`) {
			t.Errorf("%s: %s, want bad-request with bad-action", what, st.XML)
		}
	}

	r, _ := command(t, alice, "login", "", "", nil)
	if !strings.Contains(r.XML, `<actions execute="next"><next`) {
		t.Fatalf("the login's stage offers next: %s", r.XML)
	}
	sid := r.Command.SessionID
	_, st := command(t, alice, "login", sid, "complete", map[string]string{"username": "alice"})
	badAction("complete on a login stage", st)
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"username": "alice"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("the stage submitted with next: %s", r.XML)
	}

	admin := s.user("admin")
	r, _ = command(t, admin, "admin-disconnect", "", "", nil)
	if !strings.Contains(r.XML, `<actions execute="complete"><complete`) {
		t.Fatalf("the admin's form offers complete: %s", r.XML)
	}
	sid = r.Command.SessionID
	_, st = command(t, admin, "admin-disconnect", sid, "next", map[string]string{"user": "alice@localhost"})
	badAction("next on an admin's form", st)
	r, _ = command(t, admin, "admin-disconnect", sid, "complete", map[string]string{"user": "alice@localhost"})
	if !strings.Contains(r.Notes(), "disconnected") {
		t.Fatalf("the form submitted with complete: %s", r.XML)
	}
}
