package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestUnknownGroupMarksNotLookedUp: a read mark, typing and a reaction
// of a group the gateway does not know (the user's phone, in the
// app-state sync after a pairing) are dropped without asking the network
// about the group: WhatsApp answers each ChatInfo with a group-info
// query, and a sync brought hundreds. A message of such a group is still
// looked up (it may be news of a group the user is in). Before, each
// event asked.
func TestUnknownGroupMarksNotLookedUp(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	join(t, alice, "a", "") // the commands are groupchat messages
	for _, ev := range []string{
		`{"chatId":"ghost","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"receipt":{"kind":"KIND_READ","messageIds":["m1"]}}`,
		`{"chatId":"ghost","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"typing":{"state":"TYPING_STATE_COMPOSING"}}`,
		`{"chatId":"ghost","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"reaction":{"targetId":"m1","emojis":["👍"]}}`,
		// Last, in the chat's order: its look-up comes after the others'.
		`{"chatId":"ghost","chatType":"CHAT_TYPE_GROUP","sender":{"userId":"bob"},"message":{"text":"hello"}}`,
	} {
		groupchat(t, alice, "net-event "+ev)
	}
	// Waits for a second ask, which should not come: the message's is
	// the one (at most 20 s, then the count as it is).
	groupchat(t, alice, "chat-info-wait ghost 2")
	// Past the plugin's 20 s wait.
	ctx, cancel := context.WithTimeout(context.Background(), 3*timeout)
	defer cancel()
	st, err := alice.Next(ctx, func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.HasPrefix(st.Body, "chat-info ghost asked ")
	})
	if err != nil {
		t.Fatalf("no count of the ChatInfo calls: %v; pending: %v", err, alice.Pending())
	}
	if st.Body != "chat-info ghost asked 1" {
		t.Errorf("%s, want 1: the message's only (a read mark, typing and a reaction of an unknown group ask nothing)", st.Body)
	}
}
