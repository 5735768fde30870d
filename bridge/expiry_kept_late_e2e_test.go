package bridge_test

import (
	"testing"
)

// TestDisappearingKeptLate: a message whose deadline passed before it
// came, but which the network kept (its keep follows it: both queued
// while the gateway was away), is shown: the network keeps it for good.
func TestDisappearingKeptLate(t *testing.T) {
	t.Skip("known bug: the keep is followed only when it reaches the gateway in the same batch as its message (keptInBatch); the host drains what has arrived, so the two may be read apart, and the message, run out on arrival, is dropped before its keep comes (failed once in CI, 2026-12-05). Needs the late message held until its chat's next batch.")
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	const body = "vanish-kept -5 kept though late"
	raw(t, alice, `<message type='chat' id='kl' to='bob@`+domain+`'><body>`+body+`</body><origin-id xmlns='urn:xmpp:sid:0' id='kl'/></message>`)
	echoID(t, alice, "after", "after the kept one")
	for _, st := range alice.Pending() {
		if st.Body == body {
			return
		}
	}
	t.Fatal("a message kept by the network, come after its first deadline, was never shown")
}
