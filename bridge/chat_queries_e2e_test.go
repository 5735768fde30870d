package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestChatQueries: "/timer" alone says the chat's disappearing-messages
// timer and "/pins" shows its pinned messages, each as an answer in reply
// to the message, oldest pin first; the answers come from the chat (the
// contact, the room) to the resource that asked, are not stored, and
// nothing goes to the contact. In a room, the same.
func TestChatQueries(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	say := func(body, replyTo string) {
		t.Helper()
		reply := ""
		if replyTo != "" {
			reply = `<reply xmlns='urn:xmpp:reply:0' to='` + bob + `' id='` + replyTo + `'/>`
		}
		raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+bob+`'><body>`+body+`</body>`+reply+`</message>`)
	}
	// answer waits for the gateway's answer with text, from the chat.
	answer := func(from, typ, text string) xmpptest.Stanza {
		t.Helper()
		st, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
			return s.Name == "message" && s.From == from && strings.Contains(s.Body, text)
		})
		if err != nil {
			t.Fatalf("no answer %q from %s: %v", text, from, err)
		}
		if st.Type != typ || st.To != alice.JID().String() || !strings.Contains(st.XML, `<no-store xmlns="urn:xmpp:hints"`) {
			t.Errorf("the answer %q: %s, want a %s message to %s, not stored", text, st.XML, typ, alice.JID())
		}
		return st
	}
	repliesTo := func(st xmpptest.Stanza, id string) {
		t.Helper()
		if !strings.Contains(st.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(st.XML, `id="`+id+`"`) {
			t.Errorf("%q does not reply to %s: %s", st.Body, id, st.XML)
		}
	}

	say("/timer", "")
	answer(bob, "chat", "Disappearing messages are off in this chat")
	say("/timer 1d", "")
	next(t, alice, "the timer's notice", has("Disappearing messages turned on"))
	say("/timer", "")
	answer(bob, "chat", "Disappearing messages in this chat: 1 day")
	say("/timer off", "")
	next(t, alice, "the timer's notice", has("Disappearing messages turned off"))

	say("/pins", "")
	answer(bob, "chat", "No message is pinned in this chat.")
	mine := echoID(t, alice, "q1", "pin me")
	say("/pin", mine)
	next(t, alice, "the pin's notice", has("Pinned a message"))
	theirs := echoID(t, alice, "q2", "pin-this lunch at 1")
	next(t, alice, "the contact's pin", has("Pinned a message"))
	say("/pins", "")
	repliesTo(answer(bob, "chat", "Pinned (1 of 2)"), mine)
	repliesTo(answer(bob, "chat", "Pinned (2 of 2)"), theirs)
	say("/unpin", mine)
	next(t, alice, "the unpin's notice", has("Unpinned a message"))
	say("/pins", "")
	repliesTo(answer(bob, "chat", "Pinned (1 of 1)"), theirs)

	echoID(t, alice, "q3", "after the queries")
	for _, st := range alice.Pending() {
		if st.Type == "error" || bareJID(st.From) == bob && (st.Body == "/timer" || st.Body == "/pins") {
			t.Errorf("a query went wrong or to the contact: %s", st.XML)
		}
	}

	self := join(t, alice, "a", "").self.From
	groupchat(t, alice, "/timer")
	answer(room, "groupchat", "Disappearing messages are off in Echo room")
	groupchat(t, alice, "/pins")
	// The echo room lists no pins (pins_seen_only, as WhatsApp's): the
	// answer says older ones are not known.
	answer(room, "groupchat", "No pinned message seen in Echo room. Echo tells of pins only as they are made")
	groupchat(t, alice, "pin this one")
	sid := stanzaID(t, roomMessage(t, alice, nick(self), "pin this one"))
	if err := alice.SendRaw(ctxT(t), `<message type='groupchat' id='rp1' to='`+room+`'><body>/pin</body><reply xmlns='urn:xmpp:reply:0' id='`+sid+`'/></message>`); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Next(ctxT(t), func(s xmpptest.Stanza) bool {
		return s.Type == "groupchat" && strings.Contains(s.Body, "Pinned a message")
	}); err != nil {
		t.Fatalf("no pin notice in the room: %v", err)
	}
	groupchat(t, alice, "/pins")
	repliesTo(answer(room, "groupchat", "Pinned (1 of 1)"), sid)
	answer(room, "groupchat", "1 message pinned in Echo room. Echo tells of pins only as they are made")
}
