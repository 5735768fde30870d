package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomStopTellsOccupants: when the gateway stops, each joined
// resource gets its occupant's unavailable presence with status 332
// (removed by a system shutdown, XEP-0045 §10.9) and 110 before the link
// closes, keeping its affiliation, so clients show the room as left
// rather than finding out by a self-ping or an error. After a restart on
// the same store the rejoin is an ordinary join, and messages go again.
// Before, the occupants were told nothing.
func TestRoomStopTellsOccupants(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := join(t, alice, "a", "").self
	phone := s.loginResource("alice", "phone")
	phoneSelf := join(t, phone, "a", "").self
	s.stop()
	for _, c := range []struct {
		name string
		cl   *xmpptest.Client
		from string
	}{{"alice", alice, self.From}, {"phone", phone, phoneSelf.From}} {
		st, err := c.cl.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "presence" && s.Type == "unavailable" && s.From == c.from
		})
		if err != nil {
			t.Fatalf("%s: no unavailable presence from %s as the gateway stopped: %v", c.name, c.from, err)
		}
		for _, want := range []string{`code="332"`, `code="110"`, `role="none"`, `affiliation="owner"`} {
			if !strings.Contains(st.XML, want) {
				t.Errorf("%s: the shutdown presence lacks %s: %s", c.name, want, st.XML)
			}
		}
	}

	s.start()
	s.waitGateway(alice)
	j := join(t, alice, "a", `<history maxstanzas='0'/>`)
	if j.self.From != self.From || !strings.Contains(j.self.XML, `code="110"`) || len(j.occupants) == 0 {
		t.Fatalf("rejoin after the restart: self %s, %d occupants", j.self.XML, len(j.occupants))
	}
	groupchat(t, alice, "back again")
	roomMessage(t, alice, self.From[strings.LastIndex(self.From, "/")+1:], "back again")
	roomMessage(t, alice, "Echo One", "back again")
}
