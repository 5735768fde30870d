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
