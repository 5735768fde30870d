package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// A completed login's Connect runs in the background: meanwhile the user
// may log in again, log out, relogin, and the gateway may stop. Each ends
// cleanly (login_connecting.go). The echo network's +stall mark makes
// Connect take 25 s.

// beginStalledLogin logs c in, in a chat, as user (with the +stall
// mark): it returns once the login is stored, its Connect under way.
func beginStalledLogin(t *testing.T, c *xmpptest.Client, user string) {
	t.Helper()
	sendChat(t, c, domain, "login")
	if m := nextMessage(t, c, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("the login's first question: %s", m.XML)
	}
	sendChat(t, c, domain, user)
	// Stored once the status says so; the answer is checked with the
	// plugin first ("Still checking").
	deadline := time.Now().Add(connectWait)
	for !strings.Contains(chatStatus(t, c), "Logged in to Echo as "+user) {
		if time.Now().After(deadline) {
			t.Fatalf("the login of %s was not stored", user)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// chatStatus is the gateway's answer to "status" in a chat (or, while
// the login's answers are checked, that it is checking them); the
// messages before it are dropped.
func chatStatus(t *testing.T, c *xmpptest.Client) string {
	t.Helper()
	sendChat(t, c, domain, "status")
	for {
		m := nextMessage(t, c, domain, timeout)
		if strings.Contains(m.Body, "logged in to Echo") || strings.Contains(m.Body, "Logged in to") ||
			strings.Contains(m.Body, "A login is in progress") || strings.Contains(m.Body, "Still checking") {
			return m.Body
		}
	}
}

// TestLoginAgainWhileConnecting: a second login, in a chat or by the
// login command, of the same account or another, while the first's
// Connect runs, is refused as over a live login; the first then says
// it connected, once.
func TestLoginAgainWhileConnecting(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	user := "bob" + echo.StallMark
	beginStalledLogin(t, bob, user)

	sendChat(t, bob, domain, "login")
	if m := nextMessage(t, bob, domain, timeout); !strings.Contains(m.Body, "already logged in as "+user) {
		t.Errorf("a chat login while connecting: %q", m.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r, _, err := bob.Command(ctx, domain, "login", "", "", nil)
	if err != nil || r.Command.Status != "completed" || len(r.Command.Notes) != 1 ||
		!strings.Contains(r.Command.Notes[0].Text, "already logged in as "+user) {
		t.Errorf("a login command while connecting: %v %+v", err, r.Command)
	}
	said := untilLoggedIn(t, bob, domain)
	if got := said[len(said)-1]; got != "You are logged in to Echo as "+user+". Connected." {
		t.Errorf("the first login's answer: %q", got)
	}
	noChatSays(t, bob, "logged in")
}

// TestLogoutWhileConnecting: a logout while the login's Connect runs
// is done at once (the Connect cancelled), and the chat hears nothing
// more of that login: no "Connected." after (or before) "logged out".
// A login of the same account after it, whose Connect waits at the
// plugin for any Connect left of the first, connects and is told once.
// Before, the logout waited for the Connect, whose CONNECTED the login's
// answer caught: the chat said "You are logged in ... Connected." of the
// login being logged out.
func TestLogoutWhileConnecting(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	user := "bob" + echo.StallMark
	beginStalledLogin(t, bob, user)
	sendChat(t, bob, domain, "logout")
	for {
		m := nextMessage(t, bob, domain, connectWait)
		if strings.Contains(m.Body, "logged in") || strings.Contains(m.Body, "Connected") {
			t.Errorf("the chat told of the login being logged out: %q", m.Body)
		}
		if strings.Contains(m.Body, "You are logged out") {
			break
		}
	}
	said := chatLogin(t, bob, user)
	for _, b := range said[:len(said)-1] {
		if strings.Contains(b, "logged") || strings.Contains(b, "onnect") {
			t.Errorf("the chat told of the login logged out: %q", b)
		}
	}
	if got := said[len(said)-1]; got != "You are logged in to Echo as "+user+". Connected." {
		t.Errorf("the second login's answer: %q", got)
	}
	noChatSays(t, bob, "logged in")
}

// TestReloginWhileConnecting: a relogin while the login's first Connect
// runs is refused, saying the login is still connecting and that a chat
// message tells how it went; that message then says it connected.
// Before, the relogin's Disconnect and Connect queued behind the first
// Connect at the plugin, and the relogin failed on its deadline (30 s).
func TestReloginWhileConnecting(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	user := "bob" + echo.StallMark
	beginStalledLogin(t, bob, user)
	sendChat(t, bob, domain, "relogin")
	m := nextMessage(t, bob, domain, connectWait)
	if !strings.Contains(m.Body, "still connecting") || !strings.Contains(m.Body, "chat message") {
		t.Errorf("the relogin while connecting: %q", m.Body)
	}
	said := untilLoggedIn(t, bob, domain)
	if got := said[len(said)-1]; got != "You are logged in to Echo as "+user+". Connected." {
		t.Errorf("the login's answer: %q", got)
	}
	noChatSays(t, bob, "logged in", "Reconnecting")
}

// TestStopWhileConnecting: the gateway stops while a login's Connect
// runs: the stop ends it at once (the stack fails a stop over 15 s),
// and at the next start the login connects.
func TestStopWhileConnecting(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	beginStalledLogin(t, bob, "bob"+echo.StallMark)
	s.stop()
	s.start()
	s.waitGateway(bob)
	deadline := time.Now().Add(connectWait)
	for {
		st := chatStatus(t, bob)
		if strings.Contains(st, "State: connected") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the login after the restart: %q", st)
		}
		time.Sleep(time.Second)
	}
}

// TestMessagesWhileConnecting: messages the user sends to a contact
// while the login's first Connect runs wait for it and go once it
// connected, each echoed; none is refused.
func TestMessagesWhileConnecting(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	beginStalledLogin(t, alice, "alice"+echo.StallMark)
	const n = 5
	for i := range n {
		id := fmt.Sprintf("wc-%d", i)
		raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+id+`</body></message>`)
	}
	for i := range n {
		id := fmt.Sprintf("wc-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), connectWait)
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.ID == id && s.Type == "error" || s.Name == "message" && s.Body == id
		})
		cancel()
		if err != nil {
			t.Fatalf("%s, sent while connecting: no answer: %v", id, err)
		}
		if st.Type == "error" {
			t.Errorf("%s, sent while connecting, was refused: %s", id, st.XML)
		}
	}
}

// TestSameAccountAgainWhileConnecting: an account the network logged
// out lets its user log in again; logged in again once more while that
// login's Connect runs, the first Connect is cancelled, untold, and the
// last one's answer says it connected: the login is then free, and a
// relogin works. Before, the first Connect went on, held the last
// login's Disconnect at the plugin, and answered "Connected." while the
// last login's own Connect was yet to run: a relogin sent on that
// answer was refused (still connecting) or failed beside it.
func TestSameAccountAgainWhileConnecting(t *testing.T) {
	s := newStack(t, stackOptions{})
	bob := s.user("bob")
	s.waitGateway(bob)
	user := "bob" + echo.StallMark
	if said := chatLogin(t, bob, user); !strings.HasSuffix(said[len(said)-1], "Connected.") {
		t.Fatalf("the first login: %q", said)
	}
	sendChat(t, bob, "bob@"+domain, "kick")
	for m := nextMessage(t, bob, domain, timeout); !strings.Contains(m.Body, "logged out"); m = nextMessage(t, bob, domain, timeout) {
	}
	sendChat(t, bob, domain, "login")
	if m := nextMessage(t, bob, domain, timeout); !strings.Contains(m.Body, "Username?") {
		t.Fatalf("the second login's first question: %s", m.XML)
	}
	sendChat(t, bob, domain, user)
	// Once it is stored, its Connect under way, the login is open again
	// (the login still logged out): until then it is in progress.
	deadline := time.Now().Add(connectWait)
	for {
		sendChat(t, bob, domain, "login")
		m := nextMessage(t, bob, domain, timeout)
		if strings.Contains(m.Body, "Username?") {
			break
		}
		if strings.Contains(m.Body, "already logged in") || time.Now().After(deadline) {
			t.Fatalf("a third login while the second connects: %q", m.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	sendChat(t, bob, domain, user)
	said := untilLoggedIn(t, bob, domain)
	if got := said[len(said)-1]; got != "You are logged in to Echo as "+user+". Connected." {
		t.Errorf("the last login's answer: %q (before: %q)", got, said)
	}
	sendChat(t, bob, domain, "relogin")
	if m := nextMessage(t, bob, domain, connectWait); m.Body != "Reconnecting." {
		t.Errorf("a relogin once the login said it connected: %q", m.Body)
	}
}
