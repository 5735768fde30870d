package telegram_test

import (
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// Through the gateway and a real Prosody: a venue sent before the login
// arrives in the history as its text, delayed; a poll and dice sent after
// arrive live as theirs, and a vote in the poll and its closing as
// corrections of the poll's message.
func TestGatewayRichContent(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	dp := &tg.PeerUser{UserID: dora.ID}
	eiffel := &tg.GeoPoint{Lat: 48.8584, Long: 2.2945, AccessHash: 1}
	srv.Send(eve.ID, dp, "", tgfake.WithMedia(&tg.MessageMediaVenue{Geo: eiffel, Title: "Eiffel Tower", Address: "Champ de Mars, Paris"}))
	g, d := doraLoggedIn(t, srv, gatewaytest.Options{Backfill: 10})
	eveJID := g.JID("2002")
	fromEve := func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == eveJID && s.Body != ""
	}
	got := g.Next(d, "the venue, from the history", fromEve)
	if want := "Location: Eiffel Tower\nChamp de Mars, Paris\ngeo:48.8584,2.2945\n" +
		"https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945"; got.Body != want || !strings.Contains(got.XML, "urn:xmpp:delay") {
		t.Fatalf("history: %s, want %q delayed", got.XML, want)
	}
	poll := srv.Send(eve.ID, dp, "", tgfake.WithMedia(&tg.MessageMediaPoll{Poll: tg.Poll{ID: 7, Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}}))
	pollMsg := g.Next(d, "the poll", fromEve)
	if pollMsg.Body != "Poll: Lunch?\n1. Pizza\n2. Sushi\n(vote with a reply: /vote 1, or in Telegram)" {
		t.Fatalf("poll: %s", pollMsg.XML)
	}
	// A vote, then the closing: corrections (XEP-0308) of the poll's
	// message, with the counts as they stand.
	correction := `<replace xmlns="urn:xmpp:message-correct:0" id="` + pollMsg.ID + `"`
	srv.Vote(eve.ID, poll, []byte{1})
	if got := g.Next(d, "the vote", fromEve); got.Body != "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(vote with a reply: /vote 1, or in Telegram)" || !strings.Contains(got.XML, correction) {
		t.Fatalf("vote: %s, want a correction of %s", got.XML, pollMsg.ID)
	}
	srv.ClosePoll(poll)
	if got := g.Next(d, "the closing", fromEve); got.Body != "Poll: Lunch?\n1. Pizza: 0 votes\n2. Sushi: 1 vote\n(closed)" || !strings.Contains(got.XML, correction) {
		t.Fatalf("closing: %s, want a correction of %s", got.XML, pollMsg.ID)
	}
	srv.Send(eve.ID, dp, "beat that", tgfake.WithMedia(&tg.MessageMediaDice{Value: 6, Emoticon: "🎲"}))
	if got := g.Next(d, "the dice", fromEve); got.Body != "Dice: 🎲 6\n\nbeat that" {
		t.Fatalf("dice: %s", got.XML)
	}
}
