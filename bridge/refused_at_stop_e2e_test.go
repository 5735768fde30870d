package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRefusedAtStopTold: a message the network refuses while the gateway
// stops (its answer comes in the stop's wait for the commands in
// flight) gets its error, once: it is neither lost (the answer handled
// with the stop's ended context sent nothing, and the message's record
// went) nor told twice.
func TestRefusedAtStopTold(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "hello", timeout)
	nobody := echo.NoSuchContact + "@" + domain

	id, resume, stopped := stopWithInFlight(t, s, alice, nobody, "to no one")
	// The plugin answers within the stop's wait for the commands in
	// flight (3 s), once the stop began.
	resume()
	<-stopped
	s.start()
	s.waitGateway(alice)
	echoOK(t, alice, "after", timeout)

	isErr := func(st xmpptest.Stanza) bool { return st.Name == "message" && st.Type == "error" && st.ID == id }
	n := 0
	for _, st := range alice.Pending() {
		if isErr(st) {
			n++
		}
	}
	if n == 0 {
		if _, err := alice.Next(ctxT(t), isErr); err != nil {
			t.Fatalf("the refused message's error never came: %v", err)
		}
		n = 1
	}
	if n != 1 {
		t.Errorf("the error came %d times, want once", n)
	}
	for _, st := range alice.Pending() {
		if strings.Contains(st.Body, "to no one") {
			t.Errorf("the refused message was echoed: %s", st.XML)
		}
	}
}
