package bridge_test

import (
	"strings"
	"testing"
)

// TestPollResendPlainID: a "/poll" sent again with the same plain id (no
// origin-id; a stream resumed) from the same resource starts no second
// poll, as a message's resend sends nothing.
func TestPollResendPlainID(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	for range 2 {
		raw(t, alice, `<message type='chat' id='pp1' to='`+bob+`'><body>/poll Lunch? Pizza / Sushi</body></message>`)
	}
	next(t, alice, "the counts", has("Lunch?"))
	echoID(t, alice, "after", "after the poll")
	for _, st := range alice.Pending() {
		if strings.Contains(st.Body, "Lunch?") {
			t.Errorf("a second poll started by the resend: %s", st.XML)
		}
	}
}
