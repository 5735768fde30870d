package bridge_test

import "testing"

// A chat the network makes read-only (the echo network's channels, by
// sdk.ChatLimiter) refuses a message with not-allowed, through the real
// gateway; other chats are not affected.
func TestReadOnlyChatNotAllowed(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	channel := "channel-news@" + domain
	id := sendChat(t, alice, channel, "may I?")
	st := nextMessage(t, alice, channel, timeout)
	if st.Type != "error" || st.Err == nil || st.Err.Condition != "not-allowed" || st.ID != id {
		t.Fatalf("message to a read-only channel: want not-allowed for %s, got %s", id, st.XML)
	}
	echoOK(t, alice, "elsewhere", timeout)
}
