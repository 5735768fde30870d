package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestChatLoginClearKeptAnswer: after a refusal, a field picked again
// defaults to the user's earlier answer, so "-" keeps it; "clear" takes
// the form's own default instead (here: empty), offered only where an
// earlier answer replaced it. The review after a field was answered
// again no longer repeats the refusal's error. Before, an optional
// field answered wrongly could only be escaped with cancel ("-" kept the
// wrong port, the same refusal came back), and the review after the fix
// began with the old error.
func TestChatLoginClearKeptAnswer(t *testing.T) {
	say, expect := chatFormChat(t)

	say("login")
	expect("Name?")
	for _, a := range []string{"cy", "-", "-", "-", "x"} {
		say(a)
		if a != "x" {
			expect("?")
		}
	}
	const refusal = `The port must be a number, not "x".`
	expect(refusal, "5. Port: x")
	say("1")
	if q := expect("Name?", "Default: cy."); strings.Contains(q, "clear") {
		t.Errorf("a required field with no default of its own offers clear: %q", q)
	}
	say("-")
	if r := expect("1. Name: cy", "5. Port: x"); strings.Contains(r, refusal) {
		t.Errorf("the review after a field was answered again repeats the old error: %q", r)
	}
	say("5")
	expect("Port?", "Default: x.", "Send clear to take the form's own default instead: (empty).")
	say("clear")
	if r := expect("5. Port: (empty)"); strings.Contains(r, refusal) {
		t.Errorf("the review after the fix repeats the old error: %q", r)
	}
	say("done")
	expect(`You are logged in to Chat Form as cy (tls=true color=green note="" port="")`)
}

// loginCommandBegun starts the login command (XEP-0050) for c and
// returns its first step, the form still to be filled in.
func loginCommandBegun(t *testing.T, c *xmpptest.Client) cmdResponse {
	t.Helper()
	r, st := command(t, c, "login", "", "", nil)
	if st.Type != "result" || r.Command.Status != "executing" {
		t.Fatalf("the login command: %s", st.XML)
	}
	return r
}

// TestChatLoginReplacesAbandonedCommand: a login begun with the login
// command (XEP-0050) by a client that then went away, its session with
// it, does not block a login in the chat of the client the user has
// now: "login" cancels it, says so, and asks the form. Before, the chat
// answered "a login is already in progress; finish or cancel it first",
// with no way to finish it and no word of how to cancel.
func TestChatLoginReplacesAbandonedCommand(t *testing.T) {
	s, alice := chatFormUser(t)
	loginCommandBegun(t, alice)
	alice.Close()
	alice = s.login("alice")
	say, expect := chatDialogue(t, alice)
	say("login")
	expect("login command", "was cancelled")
	expect("Name?")
	say("ann")
	expect("TLS?")
	say("done")
	expect("You are logged in to Chat Form as ann")
}

// TestRegisterNoPartialLegacyFields: an XEP-0077 form with a required
// field that no plain element stands for (a server) offers the data
// form alone, its instructions saying the client must show it; plain
// <nick/> and <username/> there would be a registration a client
// without data forms cannot complete, and "username" is no account
// name but IRC's USER. Before, <nick/><username/> were offered.
func TestRegisterNoPartialLegacyFields(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "serverform")})
	alice := s.user("alice")
	s.waitGateway(alice)
	q, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	for _, legacy := range []string{"<nick", "<username"} {
		if strings.Contains(q.XML, legacy) {
			t.Errorf("the form offers %s/> although the server has no plain field: %s", legacy, q.XML)
		}
	}
	if !strings.Contains(q.XML, "var='server'") && !strings.Contains(q.XML, `var="server"`) {
		t.Errorf("the data form lacks the server field: %s", q.XML)
	}
	if !strings.Contains(q.XML, "data forms") {
		t.Errorf("the instructions do not say the data form is needed: %s", q.XML)
	}
}

// TestChatLoginUnknownFlowKeepsCommand: a chat "login" that starts no
// login (a method the network does not offer: the chat lists the ones it
// does) leaves a login command's login in progress alone, and that
// client completes it. Before, the command's login was cancelled before
// the method was looked up, and nothing took its place: the client's
// next step was told "cancelled".
func TestChatLoginUnknownFlowKeepsCommand(t *testing.T) {
	_, alice := chatFormUser(t)
	r := loginCommandBegun(t, alice)
	say, expect := chatDialogue(t, alice)
	say("login nosuch")
	if m := expect("There is no login method"); strings.Contains(m, "cancelled") {
		t.Errorf("a login that did not start cancelled the command's: %q", m)
	}
	r, st := command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"name": "ann"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("the command's login after the chat's unknown method: %s", st.XML)
	}
}
