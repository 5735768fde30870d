package bridge

import "testing"

// leaveCommand reads "/leave" and "/leave REASON" on one line; a
// longer word, a second line or a correction are words for the room.
func TestLeaveCommand(t *testing.T) {
	for _, c := range []struct {
		m      userMessage
		reason string
		ok     bool
	}{
		{userMessage{hasBody: true, body: "/leave"}, "", true},
		{userMessage{hasBody: true, body: " /leave \n"}, "", true},
		{userMessage{hasBody: true, body: "/leave  see you "}, "see you", true},
		{userMessage{hasBody: true, body: "/leave\tbye"}, "bye", true},
		{userMessage{hasBody: true, body: "/leaves"}, "", false},
		{userMessage{hasBody: true, body: "/leave bye\nall"}, "", false},
		{userMessage{hasBody: true, body: "/leave bye", replace: "m1"}, "", false},
		{userMessage{hasBody: true, body: "leave"}, "", false},
	} {
		if reason, ok := leaveCommand(c.m); reason != c.reason || ok != c.ok {
			t.Errorf("%q: %q, %v; want %q, %v", c.m.body, reason, ok, c.reason, c.ok)
		}
	}
}
