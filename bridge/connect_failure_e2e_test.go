package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestConnectFailureShown: at a start of the gateway the plugin
// cannot connect the user's login (its Connect fails: here the login's
// folder is no folder, as a disk or permission fault would have it; a
// network's unreadable session file, a login that must log in again).
// The user must be told: the gateway's presence says the login is not
// connected, and says why. It showed a plain available presence, and
// only the gateway's log said the login did not connect: every message
// then failed with no word of why.
func TestConnectFailureShown(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	s.stop()
	breakLoginDir(t, s) // relogin_failure_e2e_test.go
	s.start()
	s.waitGateway(alice)
	s.logs.waitLog(t, "login did not connect", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	p, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.From == domain && st.Type == "" && strings.Contains(st.XML, "<show>xa</show>")
	})
	if err != nil {
		t.Fatalf("the login did not connect and the gateway's presence never said so: %v", err)
	}
	if !strings.Contains(p.XML, "<status>") {
		t.Errorf("presence without a status saying why: %s", p.XML)
	}
	// Told once in a chat, as the gateway's failure (not the network
	// stopping the connection), with how to try again.
	ctx, cancel = context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
		return st.Name == "message" && st.From == domain && strings.Contains(st.Body, "could not connect")
	})
	if err != nil || !strings.HasPrefix(n.Body, "The gateway could not connect your") || !strings.Contains(n.Body, "relogin") {
		t.Errorf("the chat notice: %q, %v", n.Body, err)
	}
}
