package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// A login's state says which of its connections it is of (the number
// the gateway gave its Connect, which the SDK stamps on it): a state of
// the connection before, still on its way as the same account logs in
// again, does not answer the new login (connmark.go). The staleconn
// plugin refuses each login's first connection (staleRefused), then, at
// the next Connect, sends that refusal again before saying CONNECTED.

// staleRefused is staleconn's FirstRefused.
const staleRefused = "the first try is refused"

// loginByCommand logs c in as name with the login command, and returns
// its last note.
func loginByCommand(t *testing.T, c *xmpptest.Client, name string) string {
	t.Helper()
	r, st := command(t, c, "login", "", "", nil)
	if r.Command.Status != "executing" {
		t.Fatalf("the login command: %s", st.XML)
	}
	r, st = command(t, c, "login", r.Command.SessionID, "next", map[string]string{"username": name})
	if r.Command.Status != "completed" {
		t.Fatalf("the login command's answer: %s", st.XML)
	}
	return r.Notes()
}

// TestStaleStateNotTheNewLogins: alice's login, refused at its first
// connection, is logged in again with the login command: its answer is
// the new connection's "Connected.", not the refusal of the connection
// before that arrives first. Bob's registration (XEP-0077) sent again
// after its refusal is a result, not not-authorized. Before, both were
// answered with the stale refusal.
func TestStaleStateNotTheNewLogins(t *testing.T) {
	refusedThenConnected(t, stackOptions{plugin: testPlugin(t, "staleconn")})
}

// TestUnnumberedStatesAnswerLogins: a plugin whose states carry no
// connection number (built before it: staleconn's unmarked) has its
// logins answered by its states as ever, the first refused and the
// next connected, by the login command and by registration.
func TestUnnumberedStatesAnswerLogins(t *testing.T) {
	refusedThenConnected(t, stackOptions{plugin: testPlugin(t, "staleconn"), extra: "[transport.config]\nunmarked = true\n"})
}

// refusedThenConnected runs staleconn with opts: alice logs in twice with
// the login command, bob registers twice; the first of each is answered
// with the refusal, the second with the new connection's state.
func refusedThenConnected(t *testing.T, opts stackOptions) {
	t.Helper()
	s := newStack(t, opts)
	alice, bob := s.user("alice"), s.user("bob")
	s.waitGateway(alice)
	s.waitGateway(bob)

	if note := loginByCommand(t, alice, "alice"); !strings.Contains(note, staleRefused) {
		t.Fatalf("the first login's answer: %q", note)
	}
	if note := loginByCommand(t, alice, "alice"); !strings.Contains(note, "as alice. Connected.") {
		t.Errorf("the login again: %q; want its own connection's state", note)
	}

	if st := register(t, bob, "bob"); st.Type != "error" || !strings.Contains(st.XML, "not-authorized") || !strings.Contains(st.XML, staleRefused) {
		t.Fatalf("the first registration: %s", st.XML)
	}
	if st := register(t, bob, "bob"); st.Type != "result" {
		t.Errorf("the registration again: %s; want a result, its own connection's", st.XML)
	}
}
