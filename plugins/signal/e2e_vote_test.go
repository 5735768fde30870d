package signal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A vote from XMPP through the gateway and a real Prosody: bob's poll
// reaches the user as its text, the user's "/vote 2" in reply to it
// (XEP-0461) becomes signal-cli's sendPollVote (the second option, bob
// the poll's author, the user's first vote) and the poll's message is
// corrected once (XEP-0308) with the vote counted. "/vote Tue", no
// option of the poll, is answered with an error naming the options and
// goes nowhere. Neither reaches bob as a message.
func TestGatewayPollVote(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	bobJID := g.JID(bob)
	const where = "(vote with a reply: /vote 1, or on your phone)"
	fromBob := func(s xmpptest.Stanza) bool { return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID }
	isCorrection := func(id string) func(xmpptest.Stanza) bool {
		return func(s xmpptest.Stanza) bool {
			return fromBob(s) && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+id+`"`)
		}
	}

	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, PollCreate: map[string]any{"question": "Picnic", "options": []string{"Sat", "Sun", "Mon"}}}})
	poll := g.Next(user, "bob's poll", func(s xmpptest.Stanza) bool { return fromBob(s) && strings.HasPrefix(s.Body, "Poll: ") })
	if want := "Poll: Picnic\n1. Sat\n2. Sun\n3. Mon\n" + where; poll.Body != want || poll.ID == "" {
		t.Fatalf("the poll: %q (id %q), want %q", poll.Body, poll.ID, want)
	}

	// vote replies to the poll with body and returns the message's id.
	vote := func(body string) string {
		t.Helper()
		id := user.NewID()
		if err := user.SendRaw(ctx, `<message type='chat' id='`+id+`' to='`+bobJID+`'><body>`+body+`</body>`+
			`<reply xmlns='urn:xmpp:reply:0' to='`+bobJID+`' id='`+poll.ID+`'/></message>`); err != nil {
			t.Fatal(err)
		}
		return id
	}

	vote("/vote 2")
	c := g.Next(user, "the poll's correction", isCorrection(poll.ID))
	if want := "Poll: Picnic\n1. Sat: 0 votes\n2. Sun: 1 vote\n3. Mon: 0 votes\n" + where; c.Body != want {
		t.Fatalf("the correction: %q, want %q", c.Body, want)
	}
	req, ok := lastRequest(d, "sendPollVote")
	if r := anyStrings(req.Params["recipient"]); !ok || len(r) != 1 || r[0] != bob || req.Params["pollAuthor"] != bob ||
		req.Params["pollTimestamp"] != float64(at) || fmt.Sprint(req.Params["options"]) != "[1]" || req.Params["voteCount"] != float64(1) {
		t.Fatalf("sendPollVote: %v (%v), want to %s, author %s, timestamp %d, options [1], count 1", req.Params, ok, bob, bob, at)
	}

	// A choice the poll has not: refused, naming the options.
	id := vote("/vote Tue")
	e := g.Next(user, "the refusal of /vote Tue", func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "error" })
	if e.ID != id || e.Err == nil || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, "1. Sat, 2. Sun, 3. Mon") {
		t.Fatalf("the refusal: %s, want bad-request for %s naming 1. Sat, 2. Sun, 3. Mon", e.XML, id)
	}

	// Bob's next message comes after anything of the above would have:
	// the poll corrected once, no other error, no vote sent for the
	// refused one, nothing sent to bob.
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, Timestamp: at,
		DataMessage: &fakesignal.DataMessage{Timestamp: at, Message: fakesignal.Text("the last")}})
	g.Next(user, "bob's last message", func(s xmpptest.Stanza) bool { return fromBob(s) && s.Body == "the last" })
	for _, st := range user.Pending() {
		if isCorrection(poll.ID)(st) || st.Type == "error" {
			t.Errorf("after the vote: %s, want one correction and one error", st.XML)
		}
	}
	if n := voteRequests(d); n != 1 {
		t.Errorf("%d sendPollVote requests, want 1", n)
	}
	for _, r := range d.Requests(alice) {
		if r.Method == "send" {
			t.Errorf("signal-cli got send %v: a vote went to bob as a message", r.Params)
		}
	}
}
