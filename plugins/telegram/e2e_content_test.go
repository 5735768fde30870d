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
// arrive live as theirs.
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
	srv.Send(eve.ID, dp, "", tgfake.WithMedia(&tg.MessageMediaPoll{Poll: tg.Poll{ID: 7, Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}}))
	if got := g.Next(d, "the poll", fromEve); got.Body != "Poll: Lunch?\n- Pizza\n- Sushi\n(vote in Telegram)" {
		t.Fatalf("poll: %s", got.XML)
	}
	srv.Send(eve.ID, dp, "beat that", tgfake.WithMedia(&tg.MessageMediaDice{Value: 6, Emoticon: "🎲"}))
	if got := g.Next(d, "the dice", fromEve); got.Body != "Dice: 🎲 6\n\nbeat that" {
		t.Fatalf("dice: %s", got.XML)
	}
}
