package bridge_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestMessagesDuringRelogin: messages a client sends to a contact at
// once after "relogin" (which disconnects the login and connects it
// again) wait for the login to be back and go, each echoed; none is
// refused. Before, those that reached the plugin between the disconnect
// and the connect were refused registration-required, "login ... is not
// connected", though the user is registered.
func TestMessagesDuringRelogin(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	echoOK(t, alice, "before", timeout)
	const rounds, n = 5, 10
	for round := range rounds {
		sendChat(t, alice, domain, "relogin")
		for i := range n {
			id := fmt.Sprintf("rl%d-%d", round, i)
			raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+id+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
		}
		for i := range n {
			id := fmt.Sprintf("rl%d-%d", round, i)
			if st := answered(t, alice, id, id, id); st.Type == "error" {
				t.Errorf("%s, sent during a relogin, was refused: %s", id, st.XML)
			}
		}
		if m := nextMessage(t, alice, domain, timeout); !strings.Contains(m.Body, "Reconnecting") {
			t.Fatalf("relogin: %s", m.XML)
		}
	}
	echoOK(t, alice, "after", timeout)
}
