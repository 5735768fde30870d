package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestRoomJoinLeaveWhileJoining: a client that leaves (unavailable) a
// room it is still joining by name (the network has not answered: echo
// holds the join of secret-go until the test releases it) gets the
// unavailable self-presence that
// ends its stay (XEP-0045 §7.14, status 110), with its status echoed and
// its occupant-id (XEP-0421), as
// the first and only answer from the room: Gajim and Conversations show
// the room as joining until it comes. Before, the leave was swallowed and
// the client waited forever. The network's answer, when it comes, is
// nobody's: a join made after it is answered on its own.
func TestRoomJoinLeaveWhileJoining(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	s.logs.waitLog(t, "contacts synced", timeout)
	byName := "secret-go@" + domain
	echoOK(t, alice, echo.HoldJoins, timeout)
	raw(t, alice, `<presence to='`+byName+`/a'><x xmlns='http://jabber.org/protocol/muc'><password>pw-go</password></x></presence>`)
	raw(t, alice, `<presence to='`+byName+`/a' type='unavailable'><status>closing the tab</status></presence>`)

	fromRoom := func(st xmpptest.Stanza) bool { return bareJID(st.From) == byName }
	got, err := alice.Next(ctxT(t), fromRoom)
	if err != nil {
		t.Fatalf("no answer to the leave: %v", err)
	}
	if got.Name != "presence" || got.Type != "unavailable" || got.From != byName+"/a" ||
		!strings.Contains(got.XML, `code="110"`) || !strings.Contains(got.XML, "closing the tab") ||
		!strings.Contains(got.XML, `role="none"`) || !strings.Contains(got.XML, `<occupant-id xmlns="urn:xmpp:occupant-id:0"`) {
		t.Fatalf("leave of a room still joining: want an unavailable self-presence (110) with the status, got %s", got.XML)
	}

	// The command's answer, released now, goes to no one; the next join
	// gets its own.
	echoOK(t, alice, echo.ReleaseJoins, timeout)
	s.logs.waitLog(t, "group joined by another name", timeout)
	raw(t, alice, `<presence to='`+byName+`/b'><x xmlns='http://jabber.org/protocol/muc'><password>pw-go</password></x></presence>`)
	e := joinAnswer(t, alice, byName+"/b")
	if e == nil || e.Err == nil || e.Err.Condition != "gone" {
		t.Errorf("join after: want gone, got %+v", e)
	}
	for _, st := range alice.Pending() {
		if fromRoom(st) {
			t.Errorf("a stray stanza for the join left: %s", st.XML)
		}
	}
}
