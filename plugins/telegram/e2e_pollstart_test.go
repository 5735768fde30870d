package telegram_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// waitPoll waits until user's box on the fake Telegram has a poll and
// returns its message and poll.
func waitPoll(t *testing.T, srv *tgfake.Server, user int64) (*tg.Message, *tg.Poll) {
	t.Helper()
	deadline := time.Now().Add(gatewaytest.Timeout)
	for time.Now().Before(deadline) {
		for _, m := range srv.Messages(user) {
			if md, ok := m.Media.(*tg.MessageMediaPoll); ok {
				return m, &md.Poll
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d never got a poll", user)
	return nil, nil
}

// Starting a poll through the whole stack: a real Prosody, the gateway
// (privileged: XEP-0356), the plugin binary and the fake Telegram.
//
// Dora's "/poll Lunch? Pizza / Sushi" to Eve is a poll on Telegram
// (messages.sendMedia with the poll), not a message; Eve's vote
// (updateMessagePoll) corrects Dora's own message (XEP-0308, its id the
// stanza's) with the counts, as a carbon of a message from Dora; Dora's
// "/vote 2" in reply to it is her vote on Telegram, and the correction
// says both votes.
func TestGatewayPollStart(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID := g.JID("2002")
	ctx := ctxT(t)
	if err := d.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	g.WaitRoster(d, "got eve", func(r map[string]gatewaytest.RosterItem) bool { return r[eveJID].Name == "Eve" })

	if err := d.SendRaw(ctx, `<message type='chat' id='pc1' to='`+eveJID+`'><body>/poll Lunch? Pizza / Sushi</body>`+
		`<origin-id xmlns='urn:xmpp:sid:0' id='pc1'/></message>`); err != nil {
		t.Fatal(err)
	}
	m, p := waitPoll(t, srv, eve.ID)
	if p.Question.Text != "Lunch?" || len(p.Answers) != 2 || p.Answers[0].GetText().Text != "Pizza" || p.Answers[1].GetText().Text != "Sushi" || p.MultipleChoice {
		t.Fatalf("eve got the poll %+v", p)
	}
	if n := srv.Requests("messages.sendMedia"); n != 1 {
		t.Errorf("%d messages.sendMedia, want 1", n)
	}
	gid := srv.GID(eve.ID, m.ID)

	// corrected waits for the carbon of dora's poll message corrected
	// with text.
	corrected := func(what, text string) {
		t.Helper()
		c := g.Next(d, what, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="pc1"`)
		})
		body := strings.ReplaceAll(text, "\n", "&#xA;")
		if !strings.Contains(c.XML, "urn:xmpp:carbons:2") || !strings.Contains(c.XML, `from="dora@localhost`) ||
			!strings.Contains(c.XML, `to="`+eveJID) || !strings.Contains(c.XML, "<body>"+body+"</body>") {
			t.Errorf("%s: %s, want a carbon of dora's correction to eve with %q", what, c.XML, text)
		}
	}
	const hint = "\n(vote with a reply: /vote 1, or in Telegram)"
	// At once dora's message reads as the poll, not as typed.
	corrected("the poll as sent", "Poll: Lunch?\n1. Pizza\n2. Sushi"+hint)

	// Eve votes on Telegram.
	srv.Vote(eve.ID, gid, p.Answers[0].(*tg.PollAnswer).Option)
	corrected("the correction of eve's vote", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes"+hint)

	// Dora votes from XMPP, in reply to her poll.
	if err := d.SendRaw(ctx, `<message type='chat' id='v1' to='`+eveJID+`'><body>/vote 2</body>`+
		`<reply xmlns='urn:xmpp:reply:0' to='`+eveJID+`' id='pc1'/><origin-id xmlns='urn:xmpp:sid:0' id='v1'/></message>`); err != nil {
		t.Fatal(err)
	}
	corrected("the correction of dora's vote", "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 1 vote"+hint)
	if got, want := srv.VoteOf(dora.ID, gid), [][]byte{p.Answers[1].(*tg.PollAnswer).Option}; !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("Telegram has dora's vote %q, want %q", got, want)
	}

	// Once each: Telegram's answer to the vote and its pushed copy
	// correct the poll once.
	srv.Send(eve.ID, &tg.PeerUser{UserID: dora.ID}, "after the votes")
	g.Next(d, "eve's message after the votes", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body == "after the votes"
	})
	for _, s := range d.Pending() {
		if strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="pc1"`) {
			t.Errorf("the poll corrected once more: %s", s.XML)
		}
	}

	// Eve got the poll, and no command as a message.
	for _, m := range srv.Messages(eve.ID) {
		if strings.HasPrefix(m.Message, "/") {
			t.Errorf("eve got the command %q as a message", m.Message)
		}
	}
	for _, s := range d.Pending() {
		if s.Type == "error" {
			t.Errorf("an unexpected error: %s", s.XML)
		}
	}
}
