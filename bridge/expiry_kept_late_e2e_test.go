package bridge_test

import (
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestDisappearingKeptLate: a message whose deadline passed before it
// came, but which the network kept (its keep follows it: both queued
// while the gateway was away), is shown: the network keeps it for good.
// The keep may come in the message's own batch of events or in a later
// one ("vanish-kept-late": the echo sends it apart, a moment after).
func TestDisappearingKeptLate(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	for i, body := range []string{"vanish-kept -5 kept though late", "vanish-kept-late -5 kept apart though late"} {
		id := []string{"kl", "kla"}[i]
		raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+body+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
		next(t, alice, "the kept late message: "+body, func(st xmpptest.Stanza) bool { return st.Body == body })
	}
}
