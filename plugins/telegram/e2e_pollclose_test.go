package telegram_test

import (
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Closing a poll, and asking a chat's timer and pins, through the whole
// stack: a real Prosody, the gateway, the plugin binary and the fake
// Telegram.
//
// Dora's "/poll-close" in reply to her poll to Eve closes it on Telegram
// (messages.editMessage with the poll closed: Eve's copy is closed too)
// and corrects Dora's message once to the results, "(closed)". "/timer"
// alone in Eve's chat says the chat's auto-delete timer on Telegram, and
// "/pins" the message pinned there, as an answer replying to it.
func TestGatewayPollClose(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{})
	eveJID := g.JID("2002")
	ctx := ctxT(t)
	if err := d.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}
	g.WaitRoster(d, "got eve", func(r map[string]gatewaytest.RosterItem) bool { return r[eveJID].Name == "Eve" })
	dp := &tg.PeerUser{UserID: dora.ID}
	send := func(id, body, replyTo string) {
		t.Helper()
		x := `<message type='chat' id='` + id + `' to='` + eveJID + `'><body>` + body + `</body>`
		if replyTo != "" {
			x += `<reply xmlns='urn:xmpp:reply:0' to='` + eveJID + `' id='` + gatewaytest.Escape(replyTo) + `'/>`
		}
		if err := d.SendRaw(ctx, x+`<origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
			t.Fatal(err)
		}
	}
	isCorrection := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="pc1"`)
	}
	corrected := func(what, text string) {
		t.Helper()
		c := g.Next(d, what, isCorrection)
		if !strings.Contains(c.XML, "urn:xmpp:carbons:2") || !strings.Contains(c.XML, "<body>"+strings.ReplaceAll(text, "\n", "&#xA;")+"</body>") {
			t.Errorf("%s: %s, want a carbon of dora's correction with %q", what, c.XML, text)
		}
	}
	barrier := func(text string) {
		t.Helper()
		srv.Send(eve.ID, dp, text)
		g.Next(d, "eve's "+text, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body == text
		})
	}

	send("pc1", "/poll Lunch? Pizza / Sushi", "")
	m, p := waitPoll(t, srv, eve.ID)
	gid := srv.GID(eve.ID, m.ID)
	corrected("the poll as sent", "Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote with a reply: /vote 1, or in Telegram)")
	srv.Vote(eve.ID, gid, p.Answers[1].(*tg.PollAnswer).Option)
	corrected("eve's vote", "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)")

	send("cl1", "/poll-close", "pc1")
	corrected("the poll closed", "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)")
	closed := false
	for _, em := range srv.Messages(eve.ID) {
		if md, ok := em.Media.(*tg.MessageMediaPoll); ok && em.ID == m.ID {
			closed = md.Poll.Closed
		}
	}
	if !closed {
		t.Error("eve's copy of the poll is open on Telegram")
	}
	barrier("after the closing")
	for _, s := range d.Pending() {
		if isCorrection(s) {
			t.Errorf("the poll corrected once more: %s", s.XML)
		}
		if s.Type == "error" {
			t.Errorf("an unexpected error: %s", s.XML)
		}
	}

	// "/timer" alone and "/pins" in Eve's chat.
	srv.SetTTL(dora.ID, &tg.PeerUser{UserID: eve.ID}, 86400)
	send("t1", "/timer", "")
	ans := g.Next(d, "the timer's answer", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && strings.Contains(s.Body, "Disappearing messages")
	})
	if !strings.Contains(ans.Body, "1 day") {
		t.Errorf("the timer's answer %q, want a day", ans.Body)
	}
	pgid := srv.Send(eve.ID, dp, "lunch at 1")
	msg := g.Next(d, "eve's message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body == "lunch at 1"
	})
	srv.Pin(eve.ID, dp, pgid, false)
	barrier("after the pin")
	send("p1", "/pins", "")
	pin := g.Next(d, "the pins' answer", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && strings.Contains(s.Body, "Pinned (1 of 1)")
	})
	if !strings.Contains(pin.XML, `<reply xmlns="urn:xmpp:reply:0"`) || !strings.Contains(pin.XML, `id="`+msg.ID+`"`) {
		t.Errorf("the pins' answer does not reply to eve's message %s: %s", msg.ID, pin.XML)
	}
}
