package bridge_test

import "testing"

// TestTypingStateUnknown: a typing event with a state the contract does
// not name (a newer plugin's, or a careless one's: protobuf enums are
// open) is not bridged; it became a chat state element with no name,
// which the server refused by closing the component's stream, every
// user's link with it.
func TestTypingStateUnknown(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	probeChat(t, s, alice, "typing state unknown", `{"typing":{"state":9}}`)
	probeChat(t, s, alice, "typing state unknown, in the group", `{"chatId":"echo-room","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"echo-1"},"typing":{"state":9}}`)
}
