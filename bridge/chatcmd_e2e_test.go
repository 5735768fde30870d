package bridge_test

import (
	"strings"
	"testing"
	"time"
)

// TestChatCodeStillChecking: while the network checks the code typed in
// the chat (the echo network takes 1.5 s for "+slowcode" usernames), the
// chat still answers: another message hears the code is being checked
// (it was taken as the next answer, or handed the same answers in twice),
// the login then completes once; and cancel stops a check under way,
// the process's folder with it.
func TestChatCodeStillChecking(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	say := func(text string) { sendChat(t, alice, domain, text) }
	expect := func(want string) string {
		t.Helper()
		for {
			m := nextMessage(t, alice, domain, timeout)
			if m.Type == "error" {
				t.Fatalf("error while waiting for %q: %s", want, m.XML)
			}
			if strings.Contains(m.Body, want) {
				return m.Body
			}
		}
	}
	login := func(user string) {
		t.Helper()
		say("login")
		expect("Username?")
		say(user)
		expect("Code?")
	}

	login("alice+slowcode")
	start := time.Now()
	say("0000")
	say("0000")
	expect("Still checking your answer with Echo")
	say("status")
	expect("Still checking your answer with Echo")
	expect("You are logged in to Echo as alice+slowcode.")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the login took %v", d)
	}
	say("status")
	expect("Logged in to Echo as alice+slowcode")
	for _, m := range alice.Pending() {
		if strings.Contains(m.Body, "failed") || strings.Contains(m.Body, "logged in to Echo") {
			t.Errorf("after the login: %s", m.Body)
		}
	}

	// A check under way can be cancelled; nothing is logged in.
	say("logout")
	expect("logged out")
	login("bob+slowcode")
	say("0000")
	say("cancel")
	expect("Login cancelled.")
	time.Sleep(2 * time.Second) // past the network's check
	say("status")
	if body := expect("ogged in"); !strings.Contains(body, "not logged in") {
		t.Fatalf("after cancelling: %s", body)
	}
	if strings.Contains(s.logs.String(), "user logged in\" transport=echo user=alice@localhost login=bob") {
		t.Errorf("the cancelled login was stored")
	}
	// The folder made for the cancelled process went with it.
	s.waitFolders("none after the cancel", func(got map[string]bool) bool { return len(got) == 0 })
}

// TestChatBlankBodyIgnored: a message to the gateway whose body is empty
// or white space (a client's <body/> beside a chat state) is no command
// and no answer: it was taken for one, answered with the help text
// whenever the user began typing, and in a login taken as the answer to
// the field asked, an empty username submitted.
func TestChatBlankBodyIgnored(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	blank := func() {
		raw(t, alice, `<message type='chat' to='`+domain+`'><body> </body><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	}
	sendChat(t, alice, domain, "login")
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("login: %s", m.XML)
	}
	blank()
	sendChat(t, alice, domain, "alice")
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "You are logged in to Echo as alice.") {
		t.Fatalf("after a blank body and the username, want the login done: %s", m.XML)
	}
	blank()
	sendChat(t, alice, domain, "status")
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "Logged in to Echo as alice") {
		t.Fatalf("after a blank body and status, want the status: %s", m.XML)
	}
}

// TestChatFallbacksNotCommands: in the gateway's chat, a retraction's
// fallback body (XEP-0424, a client retracting the password it typed)
// is no command nor a login's answer, and a reply (XEP-0461) answers
// with its own words, not the quote of the question its fallback
// (XEP-0428) carries.
func TestChatFallbacksNotCommands(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	sendChat(t, alice, domain, "login")
	q := nextMessage(t, alice, domain, timeout)
	if !strings.Contains(q.Body, "Username?") {
		t.Fatalf("login: %s", q.XML)
	}
	raw(t, alice, `<message type='chat' id='x1' to='`+domain+`'><retract xmlns='urn:xmpp:message-retract:1' id='whatever'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/><body>This person attempted to retract a previous message, but it's unsupported by your client.</body></message>`)
	raw(t, alice, `<message type='chat' id='q1' to='`+domain+`'><body>&gt; Username?
alice+code</body><reply xmlns='urn:xmpp:reply:0' to='`+domain+`' id='`+q.ID+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='12'/></fallback></message>`)
	if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "Code?") {
		t.Fatalf("after a retraction and a reply naming the username, want the code asked: %s", m.XML)
	}
}
