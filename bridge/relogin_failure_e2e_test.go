package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// breakLoginDir makes the only echo login's folder no folder, as a disk
// fault would have it: the echo plugin cannot load the login, and its
// next Connect fails.
func breakLoginDir(t *testing.T, s *stack) {
	t.Helper()
	logins := filepath.Join(s.dir, "data", "plugins", "echo", "logins")
	ents, err := os.ReadDir(logins)
	if err != nil || len(ents) != 1 {
		t.Fatalf("login folders: %v %v", ents, err)
	}
	dir := filepath.Join(logins, ents[0].Name())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// failureChats asks the gateway's status in its chat, the sync point
// after everything the gateway sent before, and returns the chat
// messages up to its answer that speak of the login's failure.
func failureChats(t *testing.T, c *xmpptest.Client) []string {
	t.Helper()
	sendChat(t, c, domain, "status")
	var told []string
	for {
		m := nextMessage(t, c, domain, timeout)
		if strings.HasPrefix(m.Body, "Logged in to") {
			return told
		}
		if strings.Contains(m.Body, "Relogin failed") || strings.Contains(m.Body, "could not connect") {
			told = append(told, m.Body)
		}
	}
}

// TestReloginConnectFailureShown: a relogin whose Connect fails (the
// login's folder is no folder) is recorded as the login's state, as a
// start's failed Connect is: the gateway's presence says the login is
// stopped, and why. Before, only the command's answer said it: the
// states of the connection before being stale, the presence stayed
// available while the login was not connected. The command's answer is
// the one message of it: no chat notice besides.
func TestReloginConnectFailureShown(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	breakLoginDir(t, s)
	r, st := command(t, alice, "relogin", "", "", nil)
	if !strings.Contains(r.Notes(), "Relogin failed") || !strings.Contains(r.Notes(), "relogin") {
		t.Fatalf("the relogin's answer, which should say what failed and what to do: %s", st.XML)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	p, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && st.From == domain && st.Type == "" && strings.Contains(st.XML, "could not connect")
	})
	if err != nil {
		t.Fatalf("the relogin did not connect and the gateway's presence never said so: %v", err)
	}
	if !strings.Contains(p.XML, "<show>xa</show>") || !strings.Contains(p.XML, "Stopped") {
		t.Errorf("the presence of a login that did not connect: %s", p.XML)
	}
	if told := failureChats(t, alice); len(told) != 0 {
		t.Errorf("the ad-hoc relogin answered, and the chat said it again: %q", told)
	}
}

// TestReloginInChatFailureToldOnce: a relogin asked in the gateway's
// chat whose Connect fails is told in one message, its answer, which
// says what failed and what to do. Before, the chat had two: "Relogin
// failed: ..." and connectFailed's "The gateway could not connect your
// ... login".
func TestReloginInChatFailureToldOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	breakLoginDir(t, s)
	sendChat(t, alice, domain, "relogin")
	// Its answer first: the status asked after it answers after it, what
	// order ever the gateway runs chat commands in.
	var told []string
	for {
		m := nextMessage(t, alice, domain, timeout)
		if strings.Contains(m.Body, "Relogin failed") || strings.Contains(m.Body, "could not connect") {
			told = append(told, m.Body)
		}
		if strings.HasPrefix(m.Body, "Relogin failed") {
			break
		}
	}
	told = append(told, failureChats(t, alice)...)
	if len(told) != 1 {
		t.Fatalf("the failed relogin was told in %d messages, want 1: %q", len(told), told)
	}
	if !strings.HasPrefix(told[0], "Relogin failed: ") || !strings.Contains(told[0], "\"relogin\" here") {
		t.Errorf("the relogin's answer, which should say what failed and what to do: %q", told[0])
	}
}
