package signal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// waitRequests waits until alice's account made n requests of method,
// and returns the last.
func waitRequests(t *testing.T, d *fakesignal.Daemon, method string, n int) fakesignal.Request {
	t.Helper()
	for deadline := time.Now().Add(gatewaytest.Timeout); ; time.Sleep(50 * time.Millisecond) {
		var got []fakesignal.Request
		for _, r := range d.Requests(alice) {
			if r.Method == method {
				got = append(got, r)
			}
		}
		if len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("signal-cli got %d %s requests, want %d", len(got), method, n)
		}
	}
}

// A poll started from XMPP through the gateway and a real Prosody: the
// user's "/poll Lunch? Pizza / Sushi" to bob becomes signal-cli's
// sendPollCreate (the question, the options, noMulti), not a message;
// the user's own message is corrected (XEP-0308, a carbon: XEP-0356) to
// the poll as Signal shows it, then with the counts once bob votes (a
// pollVote naming the user as the poll's author); the user's "/vote 1"
// in reply to their message votes in it (sendPollVote, the user the
// poll's author), and "/poll-close" in reply to it closes it
// (sendPollTerminate; the message corrected to the results, "(closed)").
// "/poll-multi" in the group's room goes to the group,
// several answers allowed, and bob's vote there corrects the user's
// message in the room.
func TestGatewayPollCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	g, user, d := startLoggedIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := user.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	bobJID := g.JID(bob)
	const where = "(vote with a reply: /vote 1, or on your phone)"
	// corrected waits for the carbon of the user's message id corrected
	// to want.
	corrected := func(id, what, want string) {
		t.Helper()
		st := g.Next(user, what, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+id+`"`)
		})
		if !strings.Contains(st.XML, "urn:xmpp:carbons:2") || !strings.Contains(st.XML, strings.ReplaceAll(want, "\n", "&#xA;")) {
			t.Fatalf("%s: %s, want a carbon with %q", what, st.XML, want)
		}
	}

	if err := user.SendRaw(ctx, `<message type='chat' id='pc1' to='`+bobJID+`'><body>/poll Lunch? Pizza / Sushi</body>`+
		`<origin-id xmlns='urn:xmpp:sid:0' id='pc1'/></message>`); err != nil {
		t.Fatal(err)
	}
	req := waitRequests(t, d, "sendPollCreate", 1)
	if r := anyStrings(req.Params["recipient"]); len(r) != 1 || r[0] != bob || req.Params["question"] != "Lunch?" ||
		fmt.Sprint(req.Params["options"]) != "[Pizza Sushi]" || req.Params["noMulti"] != true {
		t.Fatalf("sendPollCreate %v, want to %s, Lunch? [Pizza Sushi], noMulti", req.Params, bob)
	}
	poll := req.Timestamp
	corrected("pc1", "the poll as Signal shows it", "Poll: Lunch?\n1. Pizza\n2. Sushi\n"+where)

	// Bob votes for Sushi.
	at := d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: poll, OptionIndexes: []int{1}, VoteCount: 1}}})
	corrected("pc1", "bob's vote counted", "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n"+where)

	// The user votes for Pizza, in reply to their own poll.
	if err := user.SendRaw(ctx, `<message type='chat' id='v1' to='`+bobJID+`'><body>/vote 1</body>`+
		`<reply xmlns='urn:xmpp:reply:0' to='`+bobJID+`' id='pc1'/></message>`); err != nil {
		t.Fatal(err)
	}
	vote := waitRequests(t, d, "sendPollVote", 1)
	if vote.Params["pollAuthor"] != alice || vote.Params["pollTimestamp"] != float64(poll) || fmt.Sprint(vote.Params["options"]) != "[0]" || vote.Params["voteCount"] != float64(1) {
		t.Fatalf("sendPollVote %v, want author %s, timestamp %d, options [0], count 1", vote.Params, alice, poll)
	}
	corrected("pc1", "the user's vote counted", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n"+where)

	// The user closes it, in reply to it.
	if err := user.SendRaw(ctx, `<message type='chat' id='cl1' to='`+bobJID+`'><body>/poll-close</body>`+
		`<reply xmlns='urn:xmpp:reply:0' to='`+bobJID+`' id='pc1'/></message>`); err != nil {
		t.Fatal(err)
	}
	if end := waitRequests(t, d, "sendPollTerminate", 1); end.Params["pollTimestamp"] != float64(poll) {
		t.Fatalf("sendPollTerminate %v, want timestamp %d", end.Params, poll)
	}
	corrected("pc1", "the poll closed", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote\n(closed)")

	// In a group's room, where the user is no admin, several answers
	// allowed.
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "Lunch club", Description: "where to eat",
		Members: []fakesignal.Member{{Number: bob, UUID: bobACI, Admin: true}, {Number: alice, UUID: aliceACI}}})
	room := g.JID(hexGroup(gid))
	if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(user, "room subject", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<subject")
	})
	if err := user.SendRaw(ctx, `<message type='groupchat' id='gp1' to='`+room+`'><body>/poll-multi Which days? Mon / Tue</body>`+
		`<origin-id xmlns='urn:xmpp:sid:0' id='gp1'/></message>`); err != nil {
		t.Fatal(err)
	}
	req = waitRequests(t, d, "sendPollCreate", 2)
	if g := anyStrings(req.Params["groupId"]); len(g) != 1 || g[0] != gid || req.Params["question"] != "Which days?" ||
		fmt.Sprint(req.Params["options"]) != "[Mon Tue]" || req.Params["noMulti"] != nil {
		t.Fatalf("sendPollCreate %v, want to group %s, Which days? [Mon Tue], several answers", req.Params, gid)
	}
	gpoll := req.Timestamp
	at = d.Now()
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"},
		PollVote: &fakesignal.PollVote{AuthorNumber: alice, AuthorUUID: aliceACI, TargetSentTimestamp: gpoll, OptionIndexes: []int{0, 1}, VoteCount: 1}}})
	want := "Poll: Which days? (several answers allowed)\n1. Mon: 1 vote\n2. Tue: 1 vote\n" + where
	c := g.Next(user, "bob's vote in the room", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "urn:xmpp:message-correct:0") &&
			strings.Contains(s.Body, "Mon: 1 vote")
	})
	// The user's nick in the room is their number, as the gateway
	// renamed them on joining.
	if c.Body != want || c.From != room+"/"+alice || !strings.Contains(c.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="gp1"/>`) {
		t.Fatalf("the room's correction: %s, want from %s/%s, of gp1: %q", c.XML, room, alice, want)
	}

	// Neither poll went as a message.
	for _, r := range d.Requests(alice) {
		if r.Method == "send" {
			t.Errorf("signal-cli got send %v: a poll or vote went as a message", r.Params)
		}
	}
}
