package bridge_test

import (
	"strings"
	"testing"
)

// TestRegisterOneLoginAtATime: an in-band registration (XEP-0077) while
// a login of the user is in progress (here in the chat) is refused as a
// second login command is: conflict, "a login is already in progress",
// and the first login goes on. Before, the registration began a login
// of its own at the plugin, beside the first.
func TestRegisterOneLoginAtATime(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	sendChat(t, alice, domain, "login")
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("login: %s", m.XML)
	}
	const inProgress = "a login is already in progress"
	_, cmd := command(t, alice, "login", "", "", nil)
	if cmd.Err == nil || cmd.Err.Condition != "conflict" || !strings.Contains(cmd.Err.Text, inProgress) {
		t.Fatalf("the login command beside the chat's login: %s", cmd.XML)
	}
	for _, q := range []string{
		`<iq type='set' to='` + domain + `'><query xmlns='jabber:iq:register'><username>alice</username></query></iq>`,
		`<iq type='get' to='` + domain + `'><query xmlns='jabber:iq:register'/></iq>`,
	} {
		r, err := alice.IQ(ctxT(t), q)
		if err != nil {
			t.Fatal(err)
		}
		if r.Err == nil || r.Err.Condition != cmd.Err.Condition || !strings.Contains(r.Err.Text, inProgress) {
			t.Errorf("registration beside the chat's login: want %s %q, got %s", cmd.Err.Condition, inProgress, r.XML)
		}
	}
	// The chat's login goes on.
	sendChat(t, alice, domain, "alice")
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "logged in") {
		t.Errorf("the chat's login after the refused registration: %s", m.XML)
	}
	// And, done, a registration is answered as registered.
	if r, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`); err != nil || !strings.Contains(r.XML, "<registered") {
		t.Errorf("registration form once logged in: %v %s", err, r.XML)
	}
}
