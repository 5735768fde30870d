package bridge_test

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestPollCreate: "/poll QUESTION? A / B" starts a poll on the network as
// the user's message (its question and options on lines of their own,
// and "/poll-multi", too): the network's counts correct the user's own
// message (XEP-0356, a carbon on each of the user's clients; in a room,
// the user's occupant's correction), and a
// "/vote" replying to it votes. A poll of one option, one without a
// question or with an option twice is answered with an error saying
// why; a resend of the same origin-id starts no second poll; none of
// them goes to the contact as a message. Without XEP-0356 the counts
// come from the contact as a new message saying whose poll it is.
func TestPollCreate(t *testing.T) {
	s := newStack(t, stackOptions{privileged: true})
	alice := s.loginResourceRegistered(t, "alice", "laptop")
	if err := alice.EnableCarbons(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	bob := "bob@" + domain
	poll := func(id, body string) {
		t.Helper()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
	}
	// corrected waits for the carbon of the user's own poll message
	// corrected with the counts.
	corrected := func(pollID, want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		st, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+pollID+`"`)
		})
		if err != nil {
			t.Fatalf("no correction of poll %s: %v", pollID, err)
		}
		if !strings.Contains(st.XML, "urn:xmpp:carbons:2") || !strings.Contains(st.XML, strings.ReplaceAll(want, "\n", "&#xA;")) {
			t.Fatalf("correction of %s: %s, want a carbon with %q", pollID, st.XML, want)
		}
	}
	refused := func(id, cond, text string) {
		t.Helper()
		st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if st.ID != id || st.Err == nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Errorf("want %s saying %q for %s, got %s", cond, text, id, st.XML)
		}
	}

	poll("pc1", "/poll Lunch? Pizza / Sushi")
	corrected("pc1", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes")
	// The same poll sent again (a stream resumed) starts no other.
	poll("pc1", "/poll Lunch? Pizza / Sushi")
	raw(t, alice, `<message type='chat' id='v1' to='`+bob+`'><body>/vote 2</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='pc1'/></message>`)
	corrected("pc1", "1. Pizza: 1 vote\n2. Sushi: 1 vote")

	poll("pc2", "/poll-multi Which days\n- Mon\n- Tue\n3. Wed")
	corrected("pc2", "Poll: Which days (several answers allowed)\n1. Mon: 1 vote\n2. Tue: 0 votes\n3. Wed: 0 votes")

	poll("bad1", "/poll Lunch? Pizza")
	refused("bad1", "bad-request", "2 to 12")
	poll("bad2", "/poll just words")
	refused("bad2", "bad-request", "needs a question")
	poll("bad3", "/poll Tea? Green / green")
	refused("bad3", "bad-request", "twice")

	echoID(t, alice, "after", "after the polls")
	polls := 0
	for _, st := range alice.Pending() {
		if bareJID(st.From) == bob && strings.Contains(st.Body, "/poll") {
			t.Errorf("a poll went to the contact as a message: %s", st.XML)
		}
		if strings.Contains(st.XML, `id="pc1"`) && strings.Contains(st.XML, "Poll: Lunch?") {
			polls++
		}
	}
	if polls != 0 {
		t.Errorf("%d more corrections of the first poll: the resend started another", polls)
	}

	// In a room: the poll is the user's message there, corrected by the
	// user's occupant as votes come.
	self := nick(join(t, alice, "a", "").self.From)
	rid := groupchat(t, alice, "/poll Room lunch? Pizza / Sushi")
	roomMessage(t, alice, self, "/poll Room lunch? Pizza / Sushi")
	c, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Type == "groupchat" && strings.Contains(st.Body, "Poll: Room lunch?")
	})
	if err != nil || nick(c.From) != self || !strings.Contains(c.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+rid+`"`) ||
		!strings.Contains(c.Body, "1. Pizza: 1 vote\n2. Sushi: 0 votes") {
		t.Fatalf("the room poll's counts, a correction of %s by %s: %v %s", rid, self, err, c.XML)
	}

	// Without XEP-0356 the contact may not correct the user's message:
	// the counts come as a message of their own, said to be the user's.
	plain := newStack(t, stackOptions{})
	carol := registered(t, plain, "carol")
	raw(t, carol, `<message type='chat' id='pp1' to='`+bob+`'><body>/poll Tea? Green / Black</body><origin-id xmlns='urn:xmpp:sid:0' id='pp1'/></message>`)
	st := next(t, carol, "the counts", has("Tea?"))
	if !strings.HasPrefix(st.Body, "You corrected a message from another device: Poll: Tea?\n1. Green: 1 vote") || strings.Contains(st.XML, "message-correct") {
		t.Errorf("the counts without the privilege: %s", st.XML)
	}
}
