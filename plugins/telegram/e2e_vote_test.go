package telegram_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Voting in a poll through the whole stack: a real Prosody, the gateway,
// the plugin binary and the fake Telegram.
//
// Eve's poll reaches Dora as its text with the hint to vote; Dora's
// "/vote 2" sent as a reply (XEP-0461) to the poll's message is her vote
// on Telegram (messages.sendVote with the second option), and the poll's
// message is corrected (XEP-0308) with the counts, once. "/vote 9" is
// refused with bad-request naming the options, the vote unchanged;
// "/vote none" takes the vote back, and the correction says so. Neither
// the commands nor their refusals reach Eve as messages.
func TestGatewayPollVote(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID := g.JID("2002")
	ctx := ctxT(t)
	dp := &tg.PeerUser{UserID: dora.ID}

	gid := srv.Send(eve.ID, dp, "", tgfake.WithMedia(&tg.MessageMediaPoll{Poll: tg.Poll{ID: 71,
		Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}}))
	const hint = "\n(vote with a reply: /vote 1, or in Telegram)"
	poll := g.NextMessage(d, eveJID)
	if want := "Poll: Lunch?\n1. Pizza\n2. Sushi" + hint; poll.Body != want || poll.ID == "" {
		t.Fatalf("eve's poll: %s, want the body %q", poll.XML, want)
	}

	// reply sends "/vote ARG" as a reply to the poll's message and
	// returns its id.
	reply := func(arg string) string {
		t.Helper()
		id := d.NewID()
		if err := d.SendRaw(ctx, `<message type='chat' id='`+id+`' to='`+eveJID+`'><body>/vote `+gatewaytest.Escape(arg)+`</body>`+
			`<reply xmlns='urn:xmpp:reply:0' to='`+eveJID+`' id='`+gatewaytest.Escape(poll.ID)+`'/>`+
			`<origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
			t.Fatal(err)
		}
		return id
	}
	isCorrection := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID &&
			strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+poll.ID+`"`)
	}
	// corrections takes the corrections of the poll that are queued and
	// returns their bodies, so that a later step does not count them.
	corrections := func() (bodies []string) {
		for _, s := range d.Pending() {
			if isCorrection(s) {
				bodies = append(bodies, g.Next(d, "a queued correction", isCorrection).Body)
			}
		}
		return bodies
	}
	// barrier is a message from eve, and its arrival: what Telegram
	// sent before it has been through the gateway.
	barrier := func(text string) {
		t.Helper()
		srv.Send(eve.ID, dp, text)
		g.Next(d, "eve's "+text, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body == text
		})
	}
	hasVote := func(what string, want [][]byte) {
		t.Helper()
		if got := srv.VoteOf(dora.ID, gid); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("%s: Telegram has dora's vote %v, want %v", what, got, want)
		}
	}

	// 1. "/vote 2": the second option on Telegram, the correction once
	// (Telegram's answer and its pushed copy both carry the update).
	reply("2")
	c := g.Next(d, "correction of the poll after /vote 2", isCorrection)
	if want := "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote" + hint; c.Body != want {
		t.Errorf("the correction of /vote 2: %q, want %q", c.Body, want)
	}
	hasVote("/vote 2", [][]byte{{1}})
	barrier("after the vote")
	if extra := corrections(); len(extra) != 0 {
		t.Errorf("/vote 2 corrected the poll %d more times: %q", len(extra), extra)
	}

	// 2. "/vote 9": no such option; refused naming the options, the vote
	// and the poll's message unchanged.
	id := reply("9")
	e := g.Next(d, "error answering /vote 9", func(s xmpptest.Stanza) bool { return s.Type == "error" })
	if e.ID != id || e.Err == nil || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, "1. Pizza, 2. Sushi") {
		t.Errorf("/vote 9: %s, want bad-request naming 1. Pizza, 2. Sushi", e.XML)
	}
	hasVote("after /vote 9", [][]byte{{1}})
	barrier("after the refusal")
	if extra := corrections(); len(extra) != 0 {
		t.Errorf("/vote 9 corrected the poll %d times: %q", len(extra), extra)
	}

	// 3. "/vote none": the vote taken back.
	reply("none")
	c = g.Next(d, "correction of the poll after /vote none", isCorrection)
	if want := "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 0 votes" + hint; c.Body != want {
		t.Errorf("the correction of /vote none: %q, want %q", c.Body, want)
	}
	hasVote("/vote none", nil)
	barrier("after the vote taken back")
	if extra := corrections(); len(extra) != 0 {
		t.Errorf("/vote none corrected the poll %d more times: %q", len(extra), extra)
	}

	// Eve got nothing from dora: the commands are no messages, nor are
	// their answers.
	for _, m := range srv.Messages(eve.ID) {
		if !m.Out {
			t.Errorf("eve got a message from dora: %q", m.Message)
		}
	}
	for _, s := range d.Pending() {
		if s.Type == "error" {
			t.Errorf("an unexpected error: %s", s.XML)
		}
	}
}
