package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestChatQueriesRefused: a query the network refuses for good (here a
// chat the echo network does not have, as Telegram refuses ChatInfo of a
// one-to-one chat) is answered with the network's refusal, an error
// reply with its condition and text, not with "did not answer; try again
// later", which would send the user trying again for nothing.
func TestChatQueriesRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	nobody := echo.NoSuchContact + "@" + domain
	for _, q := range []string{"/timer", "/pins"} {
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+nobody+`'><body>`+q+`</body></message>`)
		st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
			return st.Name == "message" && bareJID(st.From) == nobody
		})
		if err != nil {
			t.Fatalf("%s: no answer: %v", q, err)
		}
		if strings.Contains(st.Body, "try again") || st.Type != "error" || st.ID != id || st.Err == nil ||
			st.Err.Condition != "item-not-found" || !strings.Contains(st.Err.Text, "no chat") {
			t.Errorf("%s in a chat the network does not have: %s, want its item-not-found", q, st.XML)
		}
	}
}
