package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestChatQueriesInOrder: a query answers for the chat as it was when
// the user asked, before what the user sent after it: "/timer" then
// "/timer 1d" says the timer is off, "/pins" then "/pin" says nothing is
// pinned. The chat's stanzas are handled in order.
func TestChatQueriesInOrder(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	mine := echoID(t, alice, "o1", "pin me")
	send := func(body, reply string) {
		t.Helper()
		if reply != "" {
			reply = `<reply xmlns='urn:xmpp:reply:0' to='` + bob + `' id='` + reply + `'/>`
		}
		raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+bob+`'><body>`+body+`</body>`+reply+`</message>`)
	}
	answer := func(match func(string) bool) string {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && st.From == bob && match(st.Body)
		})
		if err != nil {
			t.Fatal(err)
		}
		return st.Body
	}
	for i := range 10 {
		send("/timer", "")
		send("/timer 1d", "")
		if got := answer(func(b string) bool {
			return strings.HasPrefix(b, "Disappearing messages are off") || strings.HasPrefix(b, "Disappearing messages in")
		}); !strings.Contains(got, "are off") {
			t.Errorf("round %d: '/timer' then '/timer 1d' answered %q", i, got)
		}
		answer(func(b string) bool { return strings.Contains(b, "Disappearing messages turned on") })
		send("/timer off", "")
		answer(func(b string) bool { return strings.Contains(b, "Disappearing messages turned off") })

		send("/pins", "")
		send("/pin", mine)
		if got := answer(func(b string) bool {
			return strings.Contains(b, "Pinned (") || strings.Contains(b, "No message is pinned")
		}); !strings.Contains(got, "No message is pinned") {
			t.Errorf("round %d: '/pins' then '/pin' answered %q", i, got)
		}
		answer(func(b string) bool { return strings.Contains(b, "Pinned a message") })
		send("/unpin", mine)
		answer(func(b string) bool { return strings.Contains(b, "Unpinned a message") })
	}
}
