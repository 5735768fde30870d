package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge"
)

// TestLoginCancelHoldsNothing: the plugin's login process that a
// registration ends (the form's, asked for again on submit; one whose
// submit failed: TestRegistrationRefusedCancelsProcess) is cancelled
// beside the user's chat, on a context the stop ends: a plugin whose
// Cancel hangs (cancelhang) holds neither the user's next stanza nor
// the stop. Before, the cancel ran in the chat's worker, on a context
// no stop ended: the user's ping waited for the call's timeout (30 s)
// after a refused registration, and for ever after a form. The waits
// here are shorter than that timeout: a bound no hold up to it meets.
func TestLoginCancelHoldsNothing(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "cancelhang")})
	alice := s.user("alice")
	s.waitGateway(alice)
	hangs := func(n int) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for s.logs.Count("cancelhang: cancel hangs") < n {
			if time.Now().After(deadline) {
				t.Fatalf("the plugin's cancel never hung (%d of %d)", s.logs.Count("cancelhang: cancel hangs"), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ping := func(after string) {
		t.Helper()
		if _, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil {
			t.Fatalf("the gateway's answer to a ping after %s, while the plugin's cancel hangs: %v", after, err)
		}
	}

	form, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || form.Err != nil {
		t.Fatalf("the registration form: %v %s", err, form.XML)
	}
	hangs(1)
	ping("the registration form")

	if r := register(t, alice, "refused"); r.Err == nil || !strings.Contains(r.Err.Text, "refused refused's password") {
		t.Fatalf("want the refusal, got %s", r.XML)
	}
	hangs(2)
	ping("a refused registration")

	within := bridge.CallTimeout / 2
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(within):
		t.Fatalf("the gateway did not stop within %s (the plugin calls' timeout is %s) while the plugin's cancel hangs", within, bridge.CallTimeout)
	}
	s.cancel = nil
}

// TestLoginCommandCancelHoldsNothing: a login the user cancels (the
// login command's cancel, "cancel" in the gateway's chat) ends the
// plugin's process beside the user's chat, as a registration's does
// (TestLoginCancelHoldsNothing): a plugin whose Cancel hangs holds
// neither the command's answer nor the user's next stanza. Before, the
// cancel ran in the chat's worker: the answer, and the user's ping,
// waited for the call's timeout (30 s), past these waits (20 s).
func TestLoginCommandCancelHoldsNothing(t *testing.T) {
	s := newStack(t, stackOptions{plugin: testPlugin(t, "cancelhang")})
	alice := s.user("alice")
	s.waitGateway(alice)
	r, st := command(t, alice, "login", "", "", nil)
	if r.Command.Status != "executing" {
		t.Fatalf("the login command: %s", st.XML)
	}
	r, st, err := alice.Command(ctxT(t), domain, "login", r.Command.SessionID, "cancel", nil)
	if err != nil || r.Command.Status != "canceled" {
		t.Fatalf("the login command's cancel, while the plugin's cancel hangs: %v %s", err, st.XML)
	}
	s.logs.waitLog(t, "cancelhang: cancel hangs", timeout)
	if _, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil {
		t.Fatalf("the gateway's answer to a ping after a cancelled login, while the plugin's cancel hangs: %v", err)
	}
}
