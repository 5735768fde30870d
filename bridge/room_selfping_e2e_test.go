package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomSelfPingWithoutLogin: a client's XEP-0410 self-ping of a room
// of a user with no login on the gateway (unregistered; or logged out
// while the client did not hear the room close) is answered
// not-acceptable: not joined. It went to the contact path, which answers
// every ping, and the client took itself for joined for good (found by
// review).
func TestRoomSelfPingWithoutLogin(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	r, err := alice.IQ(ctxT(t), `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if err != nil || r.Type != "result" {
		t.Fatalf("unregister: %v %s", err, r.XML)
	}
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self
	}); err != nil {
		t.Fatalf("the room not closed: %v", err)
	}
	st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`/`+self+`'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if err != nil || st.Err == nil || st.Err.Condition != "not-acceptable" {
		t.Fatalf("self-ping without a login: want not-acceptable, got %v %s", err, st.XML)
	}
	// The gateway itself still answers pings.
	if st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+domain+`'><ping xmlns='urn:xmpp:ping'/></iq>`); err != nil || st.Type != "result" || strings.Contains(st.XML, "error") {
		t.Fatalf("ping of the gateway: %v %s", err, st.XML)
	}
}
