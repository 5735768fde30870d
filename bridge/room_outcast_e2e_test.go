package bridge_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomOutcastList: the room's ban list (XEP-0045 §9.2, muc#admin
// affiliation outcast) is whom the network banned. The user bans echo-5
// from XMPP: the list names echo-5 by address, with the ban's reason,
// and echo-5 is no occupant. After a restart of the gateway the list
// comes from the group's member list (the echo network lists its bans
// as outcasts), and echo-5 is still no occupant. Lifting the ban from
// the list (affiliation none for that address) takes echo-5 off it.
func TestRoomOutcastList(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "")
	admin := func(typ, items string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.IQ(ctxT(t), `<iq type='`+typ+`' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'>`+items+`</query></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	outcasts := func() xmpptest.Stanza {
		t.Helper()
		st := admin("get", `<item affiliation='outcast'/>`)
		if st.Type != "result" {
			t.Fatalf("ban list: %s", st.XML)
		}
		return st
	}
	five := `jid="echo-5@` + domain + `"`
	notOccupant := func(when string) {
		t.Helper()
		j := join(t, alice, "a", "")
		if len(j.occupants) == 0 {
			t.Fatalf("%s: a join with no occupants", when)
		}
		for _, o := range j.occupants {
			if strings.Contains(o.XML, five) {
				t.Errorf("%s: echo-5 is an occupant: %s", when, o.XML)
			}
		}
	}

	if st := outcasts(); strings.Contains(st.XML, "<item") {
		t.Fatalf("ban list before any ban: %s", st.XML)
	}
	groupchat(t, alice, "join 5")
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == room && st.Type == "" && strings.Contains(st.XML, five)
	}); err != nil {
		t.Fatalf("echo-5 never joined: %v", err)
	}
	if st := admin("set", `<item affiliation='outcast' jid='echo-5@`+domain+`'><reason>spam</reason></item>`); st.Type != "result" {
		t.Fatalf("ban: %s", st.XML)
	}
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "presence" && bareJID(st.From) == room && st.Type == "unavailable" && strings.Contains(st.XML, `code="301"`)
	}); err != nil {
		t.Fatalf("no ban presence: %v", err)
	}
	list := outcasts()
	if !strings.Contains(list.XML, five) || !strings.Contains(list.XML, `affiliation="outcast"`) ||
		!strings.Contains(list.XML, "<reason>spam</reason>") || strings.Contains(list.XML, "nick=") {
		t.Fatalf("ban list after the ban: %s", list.XML)
	}
	if st := admin("get", `<item affiliation='member'/>`); strings.Contains(st.XML, five) {
		t.Errorf("echo-5 in the member list: %s", st.XML)
	}
	notOccupant("after the ban")

	// Across a restart: the ban list is the network's, read again.
	s.stop()
	s.start()
	s.waitGateway(alice)
	deadline := time.Now().Add(timeout)
	for {
		st, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`)
		if err == nil && st.Type == "result" && strings.Contains(st.XML, five) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ban list after the restart: %v %s", err, st.XML)
		}
		time.Sleep(100 * time.Millisecond)
	}
	notOccupant("after the restart")

	// Lifted from the list: gone from it once the network took it.
	if st := admin("set", `<item affiliation='none' jid='echo-5@`+domain+`'/>`); st.Type != "result" {
		t.Fatalf("unban: %s", st.XML)
	}
	if st := outcasts(); strings.Contains(st.XML, "<item") {
		t.Fatalf("ban list after the unban: %s", st.XML)
	}
}
