package bridge_test

import (
	"strings"
	"testing"
)

// TestContactsNotNotifiedOfUserAvatar: contacts do not ask for the
// user's avatar metadata (no urn:xmpp:avatar:metadata+notify in their
// caps), so the user's server does not send the gateway one PEP event
// per contact at each change of the user's avatar (a login with
// thousands of contacts made thousands of stanzas of each change, and
// as many chat workers, for nothing the gateway reads).
func TestContactsNotNotifiedOfUserAvatar(t *testing.T) {
	s, alice := privilegedAlice(t)
	waitRoster(t, alice, "held the three echo contacts", func(r map[string]rosterItem) bool { return len(r) == 3 })
	// The server has asked what the contacts are, from their caps
	// (XEP-0115: one query for the ver they share), as it does before
	// it notifies a contact.
	s.logs.waitLog(t, "kind=iq type=get from=alice@localhost to=echo-", timeout)
	echoOK(t, alice, "caps known", timeout)
	r, err := alice.IQ(ctxT(t), `<iq type='set'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:metadata'><item id='0123456789abcdef0123456789abcdef01234567'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='10' id='0123456789abcdef0123456789abcdef01234567' type='image/png'/></metadata></item></publish></pubsub></iq>`)
	if err != nil || r.Type != "result" {
		t.Fatalf("publishing an avatar: %v %s", err, r.XML)
	}
	// A message to echo-1 comes to the gateway behind what the publish
	// made the server send echo-1, and its chat handles both in order.
	sendChat(t, alice, "echo-1@"+domain, "after the avatar")
	nextMessage(t, alice, "echo-1@"+domain, timeout)
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, `msg="stanza in"`) && strings.Contains(l, "kind=message type=headline from=alice@localhost ") {
			t.Fatalf("the user's server notified a contact of her avatar: %s", l)
		}
	}
}
