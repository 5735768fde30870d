package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
)

// TestLoginCompleteInstructions: what the network says on the completed
// login step (WhatsApp: the chats' history is on its way) reaches the
// user, by the login command and by the chat: it was dropped for a bare
// "You are logged in".
func TestLoginCompleteInstructions(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice, bob := s.user("alice"), s.user("bob")
	s.waitGateway(alice)
	s.waitGateway(bob)

	r, _ := command(t, alice, "login", "", "", nil)
	r, _ = command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"username": "alice+note"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") || !strings.Contains(r.Notes(), echo.CompleteNote) {
		t.Fatalf("the login command's end, want the network's note %q: %s", echo.CompleteNote, r.XML)
	}

	sendChat(t, bob, domain, "login")
	if m := nextMessage(t, bob, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("login: %s", m.XML)
	}
	sendChat(t, bob, domain, "bob+note")
	m := nextMessage(t, bob, domain, timeout)
	if !strings.Contains(m.Body, "You are logged in to Echo as bob+note.") || !strings.Contains(m.Body, echo.CompleteNote) {
		t.Fatalf("the chat's login end, want the network's note %q: %s", echo.CompleteNote, m.XML)
	}
}
