package bridge_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/ngircdtest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// The answer to a completed login waits for the network's first word on
// its connection: "Connected.", or that the login is saved but did not
// connect, with the network's reason and what to do. Before, it said
// "You are logged in" before the network had answered, and a failure
// showed only in the gateway's presence status.

// connectWait bounds a test's wait for a login's answer: the gateway
// waits up to 30 s for the first state after the plugin's Connect
// (IRC's takes up to 15 s), the TLS handshake with a port without TLS
// 30 s.
const connectWait = 90 * time.Second

// chatLogin logs user in with the echo network's one-field form in a
// chat, and returns the gateway's messages up to its answer to the
// login (the one that says "logged in"), that answer last.
func chatLogin(t *testing.T, c *xmpptest.Client, user string) []string {
	t.Helper()
	sendChat(t, c, domain, "login")
	if m := nextMessage(t, c, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("the login's first question: %s", m.XML)
	}
	sendChat(t, c, domain, user)
	return untilLoggedIn(t, c, domain)
}

// untilLoggedIn returns the messages from the gateway at from up to the
// one that says "logged in", that one last.
func untilLoggedIn(t *testing.T, c *xmpptest.Client, from string) []string {
	t.Helper()
	var said []string
	for {
		m := nextMessage(t, c, from, connectWait)
		if m.Type == "error" {
			t.Fatalf("an error before the login's answer: %s", m.XML)
		}
		said = append(said, m.Body)
		if strings.Contains(m.Body, "logged in") {
			return said
		}
	}
}

// TestChatLoginSaysConnected: a chat's login to a network that connects
// is answered, once it did, "You are logged in to Echo as alice.
// Connected."
func TestChatLoginSaysConnected(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	said := chatLogin(t, alice, "alice")
	if got := said[len(said)-1]; got != "You are logged in to Echo as alice. Connected." {
		t.Errorf("the login's answer: %q", got)
	}
}

// TestChatLoginSaysWhyNotConnected: a chat's login whose connection
// fails (the echo network unreachable: CONNECTING, then
// TRANSIENT_DISCONNECT with why) is answered with the network's reason:
// the login is saved, the gateway keeps trying, and how to change a
// wrong setting (log out, log in again).
func TestChatLoginSaysWhyNotConnected(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	said := chatLogin(t, alice, "alice"+echo.UnreachableMark)
	got := said[len(said)-1]
	for _, want := range []string{"You are logged in to Echo as alice" + echo.UnreachableMark, "saved", "connecting failed", echo.UnreachableReason, "keeps trying", `"logout"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the login's answer lacks %q: %q", want, got)
		}
	}
	if strings.Contains(got, "Connected.") {
		t.Errorf("a failed connection said connected: %q", got)
	}
}

// TestChatLoginRefusedToldOnce: a login the network refuses at its
// connection (BAD_CREDENTIALS) is answered with the network's reason and
// how to log in again, in that answer alone: the state's own notice
// ("refused your credentials") is not said besides it.
func TestChatLoginRefusedToldOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	said := chatLogin(t, alice, "alice"+echo.RefusedMark)
	got := said[len(said)-1]
	for _, want := range []string{"saved", "Echo refused it", echo.RefusedReason, `"login"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the login's answer lacks %q: %q", want, got)
		}
	}
	// The status command's answer comes after whatever the state said.
	sendChat(t, alice, domain, "status")
	for {
		m := nextMessage(t, alice, domain, timeout)
		if strings.Contains(m.Body, "refused your credentials") {
			t.Errorf("the refusal was told twice: %q after %q", m.Body, got)
		}
		if strings.Contains(m.Body, "State:") {
			break
		}
	}
	for _, b := range said[:len(said)-1] {
		if strings.Contains(b, "refused") {
			t.Errorf("the refusal was told before the login's answer: %q", b)
		}
	}
}

// TestCommandLoginSaysConnection: the login command's last stage
// answers as the chat does: "Connected." for a login that connected,
// the network's reason (a warning note) for one that did not; said
// there, it is not said again in a chat (it was, the same text twice).
func TestCommandLoginSaysConnection(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	login := func(user string) cmdResponse {
		t.Helper()
		r, _ := command(t, bob, "login", "", "", nil)
		r, st := command(t, bob, "login", r.Command.SessionID, "next", map[string]string{"username": user})
		if r.Command.Status != "completed" || len(r.Command.Notes) != 1 {
			t.Fatalf("login of %s: %s", user, st.XML)
		}
		return r
	}

	r := login("bob" + echo.UnreachableMark)
	n := r.Command.Notes[0]
	if n.Type != "warn" || !strings.Contains(n.Text, "connecting failed") || !strings.Contains(n.Text, echo.UnreachableReason) {
		t.Errorf("the unreachable login's note: %s: %q", n.Type, n.Text)
	}
	noChatSays(t, bob, "logged in")

	sendChat(t, bob, domain, "logout")
	if m := nextMessage(t, bob, domain, timeout); !strings.Contains(m.Body, "logged out") {
		t.Fatalf("logout: %s", m.XML)
	}
	r = login("bob")
	if n := r.Command.Notes[0]; n.Type != "info" || n.Text != "You are logged in to Echo as bob. Connected." {
		t.Errorf("the login's note: %s: %q", n.Type, n.Text)
	}
	noChatSays(t, bob, "logged in")
}

// noChatSays fails if a chat message from the gateway says one of
// words before the answer to a "status" sent now: all the gateway said
// before comes first.
func noChatSays(t *testing.T, c *xmpptest.Client, words ...string) {
	t.Helper()
	sendChat(t, c, domain, "status")
	for {
		m := nextMessage(t, c, domain, timeout)
		if strings.Contains(m.Body, "State:") {
			return
		}
		for _, w := range words {
			if strings.Contains(m.Body, w) {
				t.Errorf("the chat said %q: %q", w, m.Body)
			}
		}
	}
}

// TestIRCLoginTLSOnPlainPortSaid: the case a new IRC user meets first.
// The login's TLS is on by default; against ngircd's port without TLS
// the handshake gets no answer and gives up (30 s). The chat's login
// (alice) and the login command's (bob), with the real IRC plugin
// process, are each answered with the plugin's reason, which says to
// turn TLS off, and how to log in again; bob's command, as the failure
// comes past its answer budget, first says the login is still
// connecting, the reason following in a chat message (it answered
// after 30 s, when clients may have given the request up). Before, both
// were told "You are logged in" at once, the failure in the presence
// status alone.
func TestIRCLoginTLSOnPlainPortSaid(t *testing.T) {
	bin := buildCmd(t, "passerelle.im/passerelle/cmd/passerelle-irc", "passerelle-irc")
	_, port, _ := net.SplitHostPort(ngircdtest.Start(t, ngircdtest.Config{}).Addr())
	s := newStack(t, stackOptions{plugin: bin})
	alice, bob := s.user("alice"), s.user("bob")
	s.waitGateway(alice)
	s.waitGateway(bob)

	type answer struct {
		r   cmdResponse
		err error
	}
	cmd := make(chan answer, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), connectWait)
		defer cancel()
		r, st, err := bob.Command(ctx, domain, "login", "", "", nil)
		if err == nil && st.Type == "result" {
			r, _, err = bob.Command(ctx, domain, "login", r.Command.SessionID, "next", map[string]string{
				"server": "127.0.0.1", "port": port, "nick": "bob"})
		}
		cmd <- answer{r, err}
	}()

	say := func(text string) { sendChat(t, alice, domain, text) }
	hear := func(want string) {
		t.Helper()
		if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, want) {
			t.Fatalf("the chat said %q, want %q", m.Body, want)
		}
	}
	say("login")
	hear("Server?")
	say("127.0.0.1")
	hear("Port")
	say(port)
	hear("TLS?")
	say("-") // the default: on
	hear("Fallback ports")
	say("-")
	hear("fingerprint")
	say("-")
	hear("Nick?")
	say("alice")
	hear("Channels?")
	say("done")
	said := untilLoggedIn(t, alice, domain)
	got := said[len(said)-1]
	t.Logf("the chat's login answer: %s", got)
	for _, want := range []string{"You are logged in to IRC as alice", "saved", "connecting failed", "TLS", "turn TLS off", `"logout"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the chat's login answer lacks %q: %q", want, got)
		}
	}

	a := <-cmd
	if a.err != nil || a.r.Command.Status != "completed" || len(a.r.Command.Notes) != 1 {
		t.Fatalf("the login command: %v %+v", a.err, a.r.Command)
	}
	n := a.r.Command.Notes[0]
	t.Logf("the login command's note: %s: %s", n.Type, n.Text)
	// The handshake gives up after 30 s, past the command's answer
	// budget (20 s): the note says the login is still connecting, a
	// chat message then says why it failed.
	if n.Type != "info" || !strings.Contains(n.Text, "You are logged in to IRC as bob") || !strings.Contains(n.Text, "Still connecting") {
		t.Errorf("the login command's note: %s: %q", n.Type, n.Text)
	}
	said = untilLoggedIn(t, bob, domain)
	got = said[len(said)-1]
	t.Logf("bob's chat after the note: %s", got)
	for _, want := range []string{"You are logged in to IRC as bob", "connecting failed", "turn TLS off", `"logout"`} {
		if !strings.Contains(got, want) {
			t.Errorf("bob's chat after the note lacks %q: %q", want, got)
		}
	}
}
