package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// lateTeardown is testdata/lateteardown's Teardown.
const lateTeardown = "torn down late"

// TestAdminDisconnectNotOverwritten: an administrator disconnects
// alice's login; the last word of its connection (lateteardown's
// STOPPED, stamped with that connection's number) arrives after it. The
// gateway's state, which it numbers as a connection of its own, stays
// the login's: the late word is ignored as a state of an earlier
// connection. A relogin after it connects, its states taken. Before,
// the administrator's state had no number and the late word overwrote
// it.
func TestAdminDisconnectNotOverwritten(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "lateteardown")})
	alice := registered(t, s, "alice")
	admin := s.user("admin")
	r, _ := command(t, admin, "admin-disconnect", "", "", nil)
	r, st := command(t, admin, "admin-disconnect", r.Command.SessionID, "complete", map[string]string{"user": "alice@localhost"})
	if !strings.Contains(r.Notes(), "was disconnected") {
		t.Fatalf("the admin's disconnect: %s", st.XML)
	}
	fromGateway := func(what string, match func(xmpptest.Stanza) bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if _, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
			return st.Name == "presence" && st.From == domain && st.Type == "" && match(st)
		}); err != nil {
			t.Fatalf("the gateway's presence never said %s: %v", what, err)
		}
	}
	fromGateway("the admin's disconnect", func(st xmpptest.Stanza) bool {
		return strings.Contains(st.XML, "disconnected by an administrator")
	})

	// Any login process started has the plugin say the late word.
	bob := s.user("bob")
	s.waitGateway(bob)
	if r, st := command(t, bob, "login", "", "", nil); r.Command.Status != "executing" {
		t.Fatalf("bob's login command: %s", st.XML)
	}
	s.logs.waitLog(t, "lateteardown: the ended connection's last word", timeout)
	for deadline := time.Now().Add(timeout); !strings.Contains(s.logs.String(), "login state of an earlier connection ignored"); {
		for _, st := range alice.Pending() {
			if st.Name == "presence" && st.From == domain && strings.Contains(st.XML, lateTeardown) {
				t.Fatalf("the late state of the disconnected connection overwrote the admin's: %s", st.XML)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the late state was never ignored")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The presences before (the registration's available one) are done.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		if _, err := alice.Next(done, nil); err != nil {
			break
		}
	}
	if r, st := command(t, alice, "relogin", "", "", nil); strings.Contains(r.Notes(), "failed") || r.Command.Status != "completed" {
		t.Fatalf("the relogin: %s", st.XML)
	}
	fromGateway("the relogin connected", func(st xmpptest.Stanza) bool {
		return !strings.Contains(st.XML, "<show>") && !strings.Contains(st.XML, "<status>")
	})
}
