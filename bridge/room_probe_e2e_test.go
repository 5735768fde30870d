package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomLeaveStatusEchoed: a resource that leaves with a <status/>
// gets it back in its unavailable self-presence (XEP-0045 §7.14). Before,
// the self-presence had none.
func TestRoomLeaveStatusEchoed(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	raw(t, alice, `<presence type='unavailable' to='`+room+`/`+self+`'><status>gone fishing</status></presence>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && s.Type == "unavailable" && s.From == room+"/"+self
	})
	if err != nil || !strings.Contains(st.XML, `code="110"`) || !strings.Contains(st.XML, "<status>gone fishing</status>") {
		t.Fatalf("leaving with a status: want it in the self-presence with 110, got %v %s", err, st.XML)
	}
}

// TestRoomProbe: a presence probe to an occupant JID is answered as
// Prosody answers it: a joined resource gets the occupant's presence
// (its own with 110); one not joined is told not-acceptable "not
// currently connected", so it joins again. Before, probes got nothing.
func TestRoomProbe(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	phone := s.loginResource("alice", "phone")
	self := nick(join(t, alice, "a", "").self.From)

	raw(t, alice, `<presence type='probe' to='`+room+`/Echo One'/>`)
	st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == room+"/Echo One" })
	if err != nil || st.Type != "" || !strings.Contains(st.XML, `jid="echo-1@`+domain+`"`) {
		t.Fatalf("probe of an occupant: want its presence, got %v %s", err, st.XML)
	}
	raw(t, alice, `<presence type='probe' to='`+room+`/`+self+`'/>`)
	st, err = alice.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == room+"/"+self })
	if err != nil || st.Type != "" || !strings.Contains(st.XML, `code="110"`) {
		t.Fatalf("probe of the user's own occupant: want it with 110, got %v %s", err, st.XML)
	}

	raw(t, phone, `<presence id='pr1' type='probe' to='`+room+`/Echo One'/>`)
	st, err = phone.Next(ctxT(t), func(s xmpptest.Stanza) bool { return s.Name == "presence" && s.From == room+"/Echo One" })
	if err != nil || st.Type != "error" || !strings.Contains(st.XML, "<not-acceptable") {
		t.Fatalf("probe from a resource not joined: want not-acceptable, got %v %s", err, st.XML)
	}
}
