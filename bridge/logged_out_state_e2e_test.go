package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestLoggedOutShownToNewSession: the network logged the user out
// while they were away. When a client of theirs comes online, its
// server probes the gateway (the user is subscribed to it, XEP-0100), and
// the answer must say the login's state (xa, "Logged out"): a plain
// available presence tells the user all is well while every message
// fails, the silent disconnect users complain of in other gateways. The
// same holds after a restart of the server (the gateway's presence to
// every user when the link is up again).
func TestLoggedOutShownToNewSession(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	// alice subscribes to the gateway, as XEP-0100 clients do.
	raw(t, alice, "<presence type='subscribe' to='"+domain+"'/>")
	nextPresence(t, alice, domain, "", nil) // the gateway approves, then says it is there
	echoOK(t, alice, "before", timeout)
	sendChat(t, alice, "bob@"+domain, "kick")
	nextPresence(t, alice, domain, "", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "<show>xa</show>") })

	// A second client comes online: the server probes the gateway.
	phone := s.loginResource("alice", "phone")
	p := lastGatewayPresence(t, phone)
	if !strings.Contains(p.XML, "<show>xa</show>") || !strings.Contains(p.XML, "Logged out") {
		t.Errorf("a new session of a logged-out user sees the gateway as %s; want xa, Logged out", p.XML)
	}

	// The server restarts; the gateway's link comes up again.
	if err := s.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	alice = s.login("alice")
	s.waitGateway(alice)
	p = lastGatewayPresence(t, alice)
	if !strings.Contains(p.XML, "<show>xa</show>") || !strings.Contains(p.XML, "Logged out") {
		t.Errorf("after a restart of the server, a logged-out user sees the gateway as %s; want xa, Logged out", p.XML)
	}
}

// lastGatewayPresence is the last presence from the gateway's own JID
// that c gets within a few seconds (the probe's answer, and any after).
func lastGatewayPresence(t *testing.T, c *xmpptest.Client) xmpptest.Stanza {
	t.Helper()
	var last xmpptest.Stanza
	deadline := time.Now().Add(3 * time.Second)
	for {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		st, err := c.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.From == domain && s.Type == ""
		})
		cancel()
		if err != nil {
			break
		}
		last = st
	}
	if last.XML == "" {
		t.Fatal("no presence from the gateway")
	}
	return last
}

// TestLoginAfterLoggedOut: the network logged the user out, and
// the gateway told them to log in again "with the login command (or send
// "login" here)". Doing so must start a login, not answer that they are
// already logged in: the login record is kept (it names the account),
// but it is no login any more.
func TestLoginAfterLoggedOut(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, "kick")
	nextPresence(t, alice, domain, "", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "Logged out") })
	m := nextMessage(t, alice, domain, timeout)
	if !strings.Contains(m.Body, "login") {
		t.Fatalf("notice: %s", m.XML)
	}
	r, st := command(t, alice, "login", "", "", nil)
	if r.Command.Status != "executing" {
		t.Fatalf("the login command after the network logged the user out: %s", st.XML)
	}
	// The same account logs in again, and works.
	r, st = command(t, alice, "login", r.Command.SessionID, "next", map[string]string{"username": "alice"})
	if r.Command.Status != "completed" || !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("logging in again: %s", st.XML)
	}
	echoOK(t, alice, "back in", timeout)

	sendChat(t, alice, "bob@"+domain, "kick")
	nextPresence(t, alice, domain, "", func(s xmpptest.Stanza) bool { return strings.Contains(s.XML, "Logged out") })
	nextMessage(t, alice, domain, timeout) // the notice
	sendChat(t, alice, domain, "login")
	m = nextMessage(t, alice, domain, timeout)
	if strings.Contains(m.Body, "already logged in") {
		t.Errorf("\"login\" in a chat after the network logged the user out: %s", m.Body)
	}
}
