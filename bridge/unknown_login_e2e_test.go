package bridge_test

import (
	"strings"
	"testing"
)

// TestEventForUnknownLoginNotSeen: an event the network sends for a
// login the gateway does not know (yet) is dropped with a warning, and
// its ID is not taken as seen: the same event sent again once the login
// is known reaches its user. It was logged at debug only and its ID
// recorded, so the second copy was dropped as a duplicate, the message
// lost.
func TestEventForUnknownLoginNotSeen(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	const ev = `{"loginId":"carol","eventId":"for-carol-1","message":{"text":"hello carol"}}`
	sendChat(t, alice, "bob@"+domain, "net-event "+ev)
	echoAfter(t, alice, "after the event for carol") // the event was handled before
	if !strings.Contains(s.logs.String(), `level=WARN msg="event for a login no user has; dropped"`) {
		t.Errorf("the event for a login no user has was not warned of")
	}

	carol := registered(t, s, "carol")
	sendChat(t, alice, "bob@"+domain, "net-event "+ev)
	m := nextMessage(t, carol, "bob@"+domain, timeout)
	if m.Type == "error" || m.Body != "hello carol" {
		t.Fatalf("the event sent again once carol's login is known: %s", m.XML)
	}
}
