package bridge_test

import (
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
		// A fence: the chat's events are rendered in order, one at a
		// time, so the group's invitation comes after the others were
		// handled, and the count is then final (no waiting for an ask
		// that should not come). With its members and no picture, the
		// new room asks nothing more (membersOf, noteRoomAvatar).
		`{"chatId":"ghost","chatType":"CHAT_TYPE_GROUP","chat":{"chat":{"chatId":"ghost","type":"CHAT_TYPE_GROUP","name":"Ghost","members":[{"userId":"bob"}],"noAvatar":true}}}`,
	} {
		groupchat(t, alice, "net-event "+ev)
	}
	ghost := "ghost@" + domain
	if _, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.Contains(st.XML, `jid="`+ghost+`"`)
	}); err != nil {
		t.Fatalf("no invitation to the group: %v", err)
	}
	groupchat(t, alice, "chat-info-wait ghost 0")
	st, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && strings.HasPrefix(st.Body, "chat-info ghost asked ")
	})
	if err != nil {
		t.Fatalf("no count of the ChatInfo calls: %v; pending: %v", err, alice.Pending())
	}
	if st.Body != "chat-info ghost asked 1" {
		t.Errorf("%s, want 1: the message's only (a read mark, typing and a reaction of an unknown group ask nothing)", st.Body)
	}
}
