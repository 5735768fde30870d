package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestReloginConnectFailureShown: a relogin whose Connect fails (the
// login's folder is no folder, as a disk fault would have it: the echo
// plugin cannot load the login) is recorded as the login's state, as a
// start's failed Connect is: the gateway's presence says the login is
// stopped, and why. Before, only the command's answer said it: the
// states of the connection before being stale, the presence stayed
// available while the login was not connected.
func TestReloginConnectFailureShown(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
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
	r, st := command(t, alice, "relogin", "", "", nil)
	if !strings.Contains(r.Notes(), "Relogin failed") {
		t.Fatalf("the relogin's answer: %s", st.XML)
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
}
