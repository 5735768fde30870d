package bridge_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestPollVote: "/vote" in a reply to a poll's message votes in it (by
// number, by text, several where allowed, taken back with "none"), and
// the poll's message is corrected with the counts; a reply quoting the
// poll (XEP-0461 fallback) votes too. A choice naming no option, two in a
// poll of one answer, a closed poll, a message that is no poll and a
// "/vote" replying to nothing are answered with errors saying why; none
// of them goes to the contact as a message.
func TestPollVote(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	bob := "bob@" + domain
	ask := func(cmd string) xmpptest.Stanza {
		t.Helper()
		raw(t, alice, `<message type='chat' id='`+alice.NewID()+`' to='`+bob+`'><body>`+cmd+`</body></message>`)
		return next(t, alice, "the poll", has("Poll: "))
	}
	vote := func(pollID, body string) string {
		t.Helper()
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>`+body+`</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='`+pollID+`'/></message>`)
		return id
	}
	corrected := func(pollID, want string) {
		t.Helper()
		c := next(t, alice, "the poll's correction", has(`<replace xmlns="urn:xmpp:message-correct:0" id="`+pollID+`"`))
		if !strings.Contains(c.Body, want) {
			t.Fatalf("correction: %q, want %q in it", c.Body, want)
		}
	}
	refused := func(id, cond, text string) {
		t.Helper()
		st := next(t, alice, "an error", func(s xmpptest.Stanza) bool { return s.Type == "error" })
		if st.ID != id || st.Err == nil || st.Err.Condition != cond || !strings.Contains(st.Err.Text, text) {
			t.Errorf("want %s saying %q for %s, got %s", cond, text, id, st.XML)
		}
	}

	p := ask("poll Lunch? Pizza / Sushi / Salad")
	if !strings.Contains(p.Body, "1. Pizza: 0 votes\n2. Sushi: 0 votes\n3. Salad: 0 votes") {
		t.Fatalf("the poll: %q", p.Body)
	}
	vote(p.ID, "/vote 2")
	corrected(p.ID, "1. Pizza: 0 votes\n2. Sushi: 1 vote\n3. Salad: 0 votes")
	// A reply quoting the poll, as clients send it.
	id := alice.NewID()
	raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>&gt; Lunch?
/vote pizza</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='`+p.ID+`'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='9'/></fallback></message>`)
	corrected(p.ID, "1. Pizza: 1 vote\n2. Sushi: 0 votes")
	vote(p.ID, "/vote none")
	corrected(p.ID, "1. Pizza: 0 votes\n2. Sushi: 0 votes\n3. Salad: 0 votes")

	refused(vote(p.ID, "/vote 1, 2"), "bad-request", "takes one answer: 1. Pizza, 2. Sushi, 3. Salad")
	refused(vote(p.ID, "/vote soup"), "bad-request", `no option "soup"`)
	refused(vote(p.ID, "/vote "+strings.Repeat("1,", 65)), "bad-request", "at most 64")
	id = alice.NewID()
	raw(t, alice, `<message type='chat' id='`+id+`' to='`+bob+`'><body>/vote 2</body></message>`)
	refused(id, "bad-request", "reply to the poll")

	multi := ask("poll-multi Days? Mon / Tue / Wed")
	vote(multi.ID, "/vote 1 3")
	corrected(multi.ID, "1. Mon: 1 vote\n2. Tue: 0 votes\n3. Wed: 1 vote")

	closed := ask("poll-closed Done? Yes / No")
	refused(vote(closed.ID, "/vote 1"), "not-allowed", "closed")
	e := echoID(t, alice, "plain", "no poll here")
	refused(vote(e, "/vote 1"), "item-not-found", "no poll")

	for _, st := range alice.Pending() {
		if bareJID(st.From) == "bob@"+domain && strings.Contains(st.Body, "/vote") {
			t.Errorf("a vote went to the contact as a message: %s", st.XML)
		}
	}
}
