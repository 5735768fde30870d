package telegram

import (
	"context"
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

const eiffelMap = "geo:48.8584,2.2945\nhttps://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945"

var eiffel = &tg.GeoPoint{Lat: 48.8584, Long: 2.2945, AccessHash: 1}

// richMedia are the contents XMPP has no element for, each with the text
// it arrives as.
var richMedia = []struct {
	name  string
	media tg.MessageMediaClass
	want  string
}{
	{"location", &tg.MessageMediaGeo{Geo: eiffel}, "Location\n" + eiffelMap},
	{"live location", &tg.MessageMediaGeoLive{Geo: eiffel, Period: 900}, "Live location\n" + eiffelMap},
	{"venue", &tg.MessageMediaVenue{Geo: eiffel, Title: "Eiffel Tower", Address: "Champ de Mars, Paris", Provider: "foursquare"},
		"Location: Eiffel Tower\nChamp de Mars, Paris\n" + eiffelMap},
	{"contact", &tg.MessageMediaContact{FirstName: "Eve", LastName: "Example", PhoneNumber: "+33612345678",
		Vcard: "BEGIN:VCARD\nVERSION:3.0\nFN:Eve Example\nTEL;TYPE=WORK:+33 1 23 45 67 89\nEMAIL:eve@example.org\nEND:VCARD"},
		"Contact: Eve Example\nPhone: +33612345678\nPhone: +33 1 23 45 67 89\nE-mail: eve@example.org"},
	{"poll", &tg.MessageMediaPoll{Poll: tg.Poll{ID: 7, MultipleChoice: true, Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}},
		"Poll: Lunch? (several answers allowed)\n1. Pizza\n2. Sushi\n(vote with a reply: /vote 1, or in Telegram)"},
	{"closed quiz", &tg.MessageMediaPoll{Poll: tg.Poll{ID: 8, Quiz: true, Closed: true, Question: tg.TextWithEntities{Text: "2+2?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "4"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "5"}, Option: []byte{1}}}},
		Results: tg.PollResults{TotalVoters: 3, Results: []tg.PollAnswerVoters{
			{Option: []byte{0}, Voters: 2, Correct: true}, {Option: []byte{1}, Voters: 1}}}},
		"Poll: 2+2? (quiz)\n1. 4: 2 votes ✓\n2. 5: 1 vote\n(closed)"},
	{"public quiz answered", &tg.MessageMediaPoll{Poll: tg.Poll{ID: 9, Quiz: true, PublicVoters: true, Question: tg.TextWithEntities{Text: "2+2?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "4"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "5"}, Option: []byte{1}}}},
		Results: tg.PollResults{TotalVoters: 1, Solution: "Count them.", Results: []tg.PollAnswerVoters{
			{Option: []byte{0}, Voters: 0, Correct: true}, {Option: []byte{1}, Voters: 1, Chosen: true}}}},
		"Poll: 2+2? (quiz)\n1. 4 ✓\n2. 5\nYour answer: 5 (wrong)\nExplanation: Count them.\nVotes are public: Telegram shows who voted for what.\n(vote with a reply: /vote 1, or in Telegram)"},
	{"dice", &tg.MessageMediaDice{Value: 6, Emoticon: "🎲"}, "Dice: 🎲 6"},
	{"darts", &tg.MessageMediaDice{Value: 3, Emoticon: "🎯"}, "Dice: 🎯 3"},
	{"game", &tg.MessageMediaGame{Game: tg.Game{ID: 9, ShortName: "lumberjack", Title: "Lumberjack", Description: "Chop the tree", Photo: &tg.PhotoEmpty{ID: 1}}},
		"Game: Lumberjack\nChop the tree\n(play it in Telegram)"},
	{"invoice", &tg.MessageMediaInvoice{Title: "Tea", Description: "A cup of tea", Currency: "EUR", TotalAmount: 250, StartParam: "tea"},
		"Invoice: Tea\nA cup of tea\n(pay in Telegram)"},
	{"story", &tg.MessageMediaStory{Peer: &tg.PeerUser{UserID: 1002}, ID: 3}, "⚠ A story the gateway cannot show: see it in Telegram."},
	{"unsupported", &tg.MessageMediaUnsupported{}, "⚠ A message of a kind the gateway cannot show: see it in Telegram."},
}

// Each such message is a message with its content as text (not an empty
// one), no attachment; a caption comes after it with its formatting.
func TestRichContentAsText(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	ctx := context.Background()
	for i, tc := range richMedia {
		m := &tg.Message{ID: 100 + i, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Media: tc.media}
		evs := s.messageEvents(ctx, m, false)
		if len(evs) != 1 || evs[0].GetMessage() == nil {
			t.Errorf("%s: events %v, want one message", tc.name, evs)
			continue
		}
		if me := evs[0].GetMessage(); me.Text != tc.want || len(me.Attachments) != 0 || len(me.Spans) != 0 {
			t.Errorf("%s:\n got %q (attachments %v, spans %v)\nwant %q", tc.name, me.Text, me.Attachments, me.Spans, tc.want)
		}
	}

	// A caption after the content, its bold on its own word.
	m := &tg.Message{ID: 200, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "beat that",
		Entities: []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 4}}, Media: &tg.MessageMediaDice{Value: 5, Emoticon: "🎲"}}
	me := s.messageEvents(ctx, m, false)[0].GetMessage()
	if me.Text != "Dice: 🎲 5\n\nbeat that" || len(me.Spans) != 1 || me.Text[me.Spans[0].Start:me.Spans[0].End] != "beat" {
		t.Errorf("with a caption: %q %v", me.Text, me.Spans)
	}
	// Plain text and files are as before.
	m = &tg.Message{ID: 201, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, Message: "see https://example.org",
		Media: &tg.MessageMediaWebPage{Webpage: &tg.WebPageEmpty{ID: 1}}}
	if me := s.messageEvents(ctx, m, false)[0].GetMessage(); me.Text != "see https://example.org" {
		t.Errorf("a link's preview: %q", me.Text)
	}
}

// A live location that moves is a correction with the new position, not
// an empty one.
func TestLiveLocationMoves(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	moved := &tg.Message{ID: 300, PeerID: &tg.PeerUser{UserID: 1002}, FromID: &tg.PeerUser{UserID: 1002}, Date: 1700000000,
		EditDate: 1700000060, EditHide: true, Media: &tg.MessageMediaGeoLive{Geo: &tg.GeoPoint{Lat: 48.86, Long: 2.3}, Period: 900}}
	evs := s.convert(context.Background(), &tg.UpdateEditMessage{Message: moved})
	if len(evs) != 1 || evs[0].GetEdit().GetTargetId() != "300" ||
		evs[0].GetEdit().GetText() != "Live location\ngeo:48.86,2.3\nhttps://www.openstreetmap.org/?mlat=48.86&mlon=2.3#map=16/48.86/2.3" {
		t.Errorf("edit %v: want a correction with the new position", evs)
	}
}

// Against the fake Telegram: each kind sent by Bob reaches Alice's
// session as its text, over MTProto; the chat's history, read after, has
// the same texts (the newest five: history_limit).
func TestRichContentLive(t *testing.T) {
	srv := newFake(t)
	s, h, _, _ := connectAlice(t, srv)
	var wants []string
	for _, tc := range richMedia {
		from := h.count()
		srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "", tgfake.WithMedia(tc.media))
		h.wait(t, from, tc.name, func(ev *pb.Event) bool {
			return ev.ChatId == "1002" && ev.GetMessage().GetText() == tc.want
		})
		wants = append(wants, tc.want)
	}
	if err := s.Backfill(ctxT(t), sdk.BackfillRequest{ChatID: "1002", Limit: 5}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range h.waitHistory(t, 0).Events {
		got = append(got, ev.GetMessage().GetText())
	}
	if want := wants[len(wants)-5:]; !slices.Equal(got, want) {
		t.Errorf("history\n got %q\nwant %q", got, want)
	}
}
