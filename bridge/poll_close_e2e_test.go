package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestPollClose: "/poll-close" in a reply to the user's own poll closes
// it on the network, whose correction of the poll's message (its
// results, "(closed)") answers it; a vote after it is refused as the
// network refuses it; closing it again is no error and corrects
// nothing. Closing a contact's poll, or without a reply, is answered
// with an error saying why; none goes to the contact as a message.
func TestPollClose(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := s.loginResourceRegistered(t, "alice", "laptop")
	if err := alice.EnableCarbons(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	bob := "bob@" + domain
	send := func(id, body, replyTo string) {
		t.Helper()
		reply := ""
		if replyTo != "" {
			reply = `<reply xmlns='urn:xmpp:reply:0' to='` + bob + `' id='` + replyTo + `'/>`
		}
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body>`+reply+`<origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
	}
	corrected := func(pollID, want string) xmpptest.Stanza {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+pollID+`"`)
		})
		if err != nil {
			t.Fatalf("no correction of poll %s: %v", pollID, err)
		}
		if !strings.Contains(st.XML, strings.ReplaceAll(want, "\n", "&#xA;")) {
			t.Fatalf("correction of %s: %s, want %q", pollID, st.XML, want)
		}
		return st
	}
	refused := func(id, cond, text string) {
		t.Helper()
		st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if st.ID != id || st.Err == nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Errorf("want %s saying %q for %s, got %s", cond, text, id, st.XML)
		}
	}

	send("pl1", "/poll Lunch? Pizza / Sushi", "")
	corrected("pl1", "1. Pizza: 1 vote\n2. Sushi: 0 votes")
	send("cl1", "/poll-close", "pl1")
	corrected("pl1", "1. Pizza: 1 vote\n2. Sushi: 0 votes\n(closed)")
	send("v1", "/vote 2", "pl1")
	refused("v1", "not-allowed", "closed")
	send("cl2", "/poll-close", "pl1") // closed already: nothing to do
	send("cl3", "/poll-close", "")
	refused("cl3", "bad-request", "reply to your poll")

	send("pt1", "poll Tea? Green / Black", "")
	theirs := next(t, alice, "the contact's poll", has("Poll: Tea?")).ID
	send("cl4", "/poll-close", theirs)
	refused("cl4", "not-allowed", "only who started")
	send("cl5", "/poll-close", "no-such-message")
	refused("cl5", "item-not-found", "not known")

	echoID(t, alice, "after", "after the closes")
	for _, st := range alice.Pending() {
		if bareJID(st.From) == bob && strings.Contains(st.Body, "/poll-close") {
			t.Errorf("a close went to the contact as a message: %s", st.XML)
		}
		if st.Type == "error" {
			t.Errorf("an error for closing a closed poll: %s", st.XML)
		}
		if strings.Contains(st.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="pl1"`) {
			t.Errorf("the closed poll corrected again: %s", st.XML)
		}
	}
}
