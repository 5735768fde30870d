package bridge_test

import (
	"strings"
	"testing"
)

// TestAdhocLoginAbandoned: the user's client goes away in the
// middle of the login command (it crashed, the phone lost its network),
// and the session ID with it. Starting the login command again from the
// client the user has now must start a login, not refuse with "a login
// is already in progress; finish or cancel it first" for the ten minutes
// the old one may wait: a command client has no way to finish or cancel
// a session it lost. (The same client asking twice is still refused, as
// TestAdhocQRAndCancel wants; the refusal says how to cancel.)
func TestAdhocLoginAbandoned(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	r, _ := command(t, alice, "login", "", "", nil)
	if _, _, ok := r.Field("username"); r.Command.Status != "executing" || !ok {
		t.Fatalf("first stage: %s", r.XML)
	}
	r, _ = command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"username": "alice+code"})
	if _, _, ok := r.Field("code"); !ok || r.Command.Status != "executing" {
		t.Fatalf("code stage: %s", r.XML)
	}
	// The client goes away, the session ID with it.
	alice.Close()
	alice = s.login("alice")
	r, st := command(t, alice, "login", "", "", nil)
	if st.Type != "result" || r.Command.Status != "executing" {
		t.Fatalf("the login command again, from a client that lost the first one's session: %s", st.XML)
	}
	if _, _, ok := r.Field("username"); !ok {
		t.Fatalf("first stage again: %s", r.XML)
	}
	r, _ = command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"username": "alice+code"})
	r, _ = command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"code": "0000"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("the new login did not complete: %s", r.XML)
	}
	echoOK(t, alice, "logged in after all", timeout)
}
