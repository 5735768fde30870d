package bridge_test

import (
	"strings"
	"testing"
)

// TestLoginIDTooLong: a registration whose network account ID is longer
// than the gateway can keep (the echo network's ID is the username) is
// refused in words the user understands, and the login is logged out at
// the plugin (the SDK refuses it there), not kept: nothing is
// registered. Before, the plugin handed the login over, the store
// refused it, the user got internal-server-error with the store's own
// text, logged at ERROR, and the plugin kept the login.
func TestLoginIDTooLong(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	r := register(t, alice, strings.Repeat("a", 5000))
	if r.Err == nil || r.Err.Condition != "bad-request" || !strings.Contains(r.Err.Text, "5000 bytes, over the gateway's limit of 4096") || !strings.Contains(r.Err.Text, "logged out") {
		t.Fatalf("want bad-request saying the ID is too long, got %.600s", r.XML)
	}
	s.logs.waitLog(t, "echo: account logged out", timeout)
	if s.logs.Count("storing the login failed") != 0 {
		t.Error("the gateway tried to store the login")
	}
	sendChat(t, alice, "bob@"+domain, "hi")
	if st := nextMessage(t, alice, "bob@"+domain, timeout); st.Err == nil || st.Err.Condition != "registration-required" {
		t.Fatalf("a refused login must not register: %s", st.XML)
	}
	if r := register(t, alice, "alice"); r.Type != "result" {
		t.Fatalf("a registration after the refused one: %s", r.XML)
	}
}

// TestLoginIDTooLongFromOldPlugin: a plugin that hands over a completed
// login whose ID the gateway cannot keep anyway (testdata/longlogin,
// as one built without the SDK's check) has its registration answered
// not-acceptable in words the user understands, and is asked to log
// that login out; nothing is registered. Before, the answer was
// internal-server-error with the store's own text, and the login stayed
// at the plugin.
func TestLoginIDTooLongFromOldPlugin(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "longlogin")})
	alice := s.user("alice")
	s.waitGateway(alice)
	r := register(t, alice, "overlong")
	if r.Err == nil || r.Err.Condition != "not-acceptable" || !strings.Contains(r.Err.Text, "5000 bytes, over 4096") || strings.Contains(r.Err.Text, "longer than") {
		t.Fatalf("want not-acceptable saying the ID is too long, got %.600s", r.XML)
	}
	s.logs.waitLog(t, "longlogin: logged out", timeout)
	if !strings.Contains(s.logs.String(), "login_id_bytes=5000") {
		t.Errorf("the plugin logged out another login:\n%s", s.logs)
	}
	if s.logs.Count("storing the login failed") != 0 {
		t.Error("the gateway tried to store the login")
	}
	q, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || q.Type != "result" || strings.Contains(q.XML, "<registered") {
		t.Fatalf("a refused login must not register: %v %s", err, q.XML)
	}
}
