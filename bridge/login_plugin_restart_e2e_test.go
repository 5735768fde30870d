package bridge_test

import (
	"strings"
	"testing"
	"time"
)

// TestLoginPluginRestartMidway: the plugin restarts between two
// steps of the login command (the code stage): the user's next step is
// answered, with a failure that says to start again, and the login
// command then starts afresh (nothing stays "in progress").
func TestLoginPluginRestartMidway(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	r, _ := command(t, alice, "login", "", "", nil)
	sid := r.Command.SessionID
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"username": "alice+code"})
	if _, _, ok := r.Field("code"); !ok {
		t.Fatalf("code stage: %s", r.XML)
	}
	old := s.killPlugin()
	for s.pluginPID() == old {
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	r, st := command(t, alice, "login", sid, "next", map[string]string{"code": "0000"})
	t.Logf("after the restart (%v): %s", time.Since(start), st.XML)
	if r.Command.Status == "executing" {
		t.Fatalf("the login goes on as if the plugin still knew it: %s", st.XML)
	}
	r, st = command(t, alice, "login", "", "", nil)
	if r.Command.Status != "executing" {
		t.Fatalf("a new login after the failed one: %s", st.XML)
	}
	sid = r.Command.SessionID
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"username": "alice+code"})
	r, _ = command(t, alice, "login", sid, "next", map[string]string{"code": "0000"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("the new login: %s", r.XML)
	}
}
