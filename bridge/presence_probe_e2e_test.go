package bridge_test

import "testing"

// TestProbeAnsweredToProber: a resource coming online has its server
// probe each contact and the gateway from its full JID; the answers go
// to that resource (RFC 6121 §4.3.2), not to the bare JID, which had
// every other resource of the user get each contact's presence again.
func TestProbeAnsweredToProber(t *testing.T) {
	s, alice := privilegedAlice(t)
	echo1, echo2 := "echo-1@"+domain, "echo-2@"+domain
	// Settled: echo-1's presence with its avatar's hash, and what went
	// to alice before this echo.
	nextPresence(t, alice, echo1, "", has("vcard-temp:x:update"))
	echoOK(t, alice, "settled", timeout)
	// The gateway in her roster too, so that her server probes it. (Her
	// server tells subscription answers only to a resource that asked
	// for the roster: RFC 6121 §2.1.6, an interested resource.)
	roster(t, alice)
	raw(t, alice, `<presence type='subscribe' to='`+domain+`'/>`)
	nextPresence(t, alice, domain, "subscribed", nil)
	// What the gateway sent her before this ping's answer is in her
	// queue once it is answered.
	if st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("ping: %v %s", err, st.XML)
	}
	before := map[string]int{echo1: presences(alice, echo1), echo2: presences(alice, echo2), domain: presences(alice, domain)}

	two := s.loginResource("alice", "two")
	for _, from := range []string{echo1, echo2, domain} {
		st := nextPresence(t, two, from, "", nil)
		if st.To != "alice@localhost/two" {
			t.Errorf("the probe's answer from %s went to %q, not to the prober", from, st.To)
		}
	}
	// The answers were written before this ping's: whatever they sent
	// alice is in her queue once it is answered.
	if st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+echo1+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil || st.Type != "result" {
		t.Fatalf("ping: %v %s", err, st.XML)
	}
	for from, n := range before {
		if got := presences(alice, from) - n; got != 0 {
			t.Errorf("two's login sent alice %d presences of %s again", got, from)
		}
	}
}
