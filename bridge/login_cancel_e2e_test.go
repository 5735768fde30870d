package bridge_test

import (
	"strings"
	"testing"
)

// The cancellog plugin refuses the name "refused" with an error at the
// form's submit, and logs each login process cancelled. The SDK keeps a
// process whose step failed, for another try; a gateway that drives it
// no more must cancel it, or it stays at the plugin for the process's
// life.

// TestRegistrationRefusedCancelsProcess: a registration whose submit
// fails is answered with the error, and the plugin's process is
// cancelled. Before, it was left at the plugin.
func TestRegistrationRefusedCancelsProcess(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "cancellog")})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "refused"); r.Err == nil || !strings.Contains(r.Err.Text, "refused refused's password") {
		t.Fatalf("want the refusal, got %s", r.XML)
	}
	s.logs.waitLog(t, "cancellog: login cancelled", timeout)
	if !strings.Contains(s.logs.String(), "name=refused") {
		t.Errorf("another process was cancelled:\n%s", s.logs)
	}
}

// TestLoginCommandRefusedCancelsProcess: the login command whose form's
// submit fails says so, and the plugin's process is cancelled. Before,
// it was left at the plugin.
func TestLoginCommandRefusedCancelsProcess(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "cancellog")})
	alice := s.user("alice")
	s.waitGateway(alice)
	r, st := command(t, alice, "login", "", "", nil)
	if r.Command.Status != "executing" {
		t.Fatalf("the login command: %s", st.XML)
	}
	r, st = command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"username": "refused"})
	if !strings.Contains(r.Notes(), "refused refused's password") {
		t.Fatalf("want the refusal, got %s", st.XML)
	}
	s.logs.waitLog(t, "cancellog: login cancelled", timeout)
	if !strings.Contains(s.logs.String(), "name=refused") {
		t.Errorf("another process was cancelled:\n%s", s.logs)
	}
}
