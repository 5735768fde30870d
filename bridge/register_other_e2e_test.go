package bridge_test

import (
	"strings"
	"testing"
)

// TestRegisterAnotherAccountRefused: the registration form sent again
// while registered edits the registration of the same account (XEP-0100
// §4.4), but one that logs in to another account is refused, not-allowed
// with "log out first" as the chat says it, and the first account stays:
// it was quietly replaced, contacts and all.
func TestRegisterAnotherAccountRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("first registration: %s", r.XML)
	}
	r := register(t, alice, "alice2")
	if r.Err == nil || r.Err.Condition != "not-allowed" || !strings.Contains(r.Err.Text, "log out") || !strings.Contains(r.Err.Text, "alice") {
		t.Fatalf("registration of another account while registered: want not-allowed, log out first: %s", r.XML)
	}
	q, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || !strings.Contains(q.XML, "<username>alice</username>") {
		t.Fatalf("after the refused registration, want alice still registered: %v %s", err, q.XML)
	}
	// The same account sent again is an edit, answered as before.
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("the same registration again: %s", r.XML)
	}
	sendChat(t, alice, "friend@"+domain, "still here")
	echoOK(t, alice, "still here", timeout)
}
