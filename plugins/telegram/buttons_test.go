package telegram

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A bot's inline keyboard shows after its message, a line of the
// buttons' labels, a link button's URL beside its label, where to press
// the others; the text's formatting stays where it was. A custom reply
// keyboard adds nothing.
func TestInlineButtonsAsText(t *testing.T) {
	s, _ := unitSession(t)
	m := &tg.Message{Message: "Pick one", Entities: []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 4}},
		ReplyMarkup: &tg.ReplyInlineMarkup{Rows: []tg.KeyboardButtonRow{
			{Buttons: []tg.KeyboardButtonClass{&tg.KeyboardButtonCallback{Text: "Yes"}, &tg.KeyboardButtonCallback{Text: "No"}}},
			{Buttons: []tg.KeyboardButtonClass{&tg.KeyboardButtonURL{Text: "Docs", URL: "https://example.org/docs"}}},
		}}}
	text, spans := s.messageText(m)
	want := "Pick one\nButtons: Yes / No / Docs (https://example.org/docs) (press them in Telegram)"
	if text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	if len(spans) != 1 || spans[0].Start != 0 || spans[0].End != 4 {
		t.Errorf("spans %v: want bold 0..4", spans)
	}

	// Link buttons alone: nothing to press in Telegram.
	m = &tg.Message{Message: "Read", ReplyMarkup: &tg.ReplyInlineMarkup{Rows: []tg.KeyboardButtonRow{
		{Buttons: []tg.KeyboardButtonClass{&tg.KeyboardButtonURL{Text: "Site", URL: "https://example.org"}}}}}}
	if text, _ := s.messageText(m); text != "Read\nButtons: Site (https://example.org)" {
		t.Errorf("text %q: want the link button alone", text)
	}

	m = &tg.Message{Message: "Say", ReplyMarkup: &tg.ReplyKeyboardMarkup{Rows: []tg.KeyboardButtonRow{
		{Buttons: []tg.KeyboardButtonClass{&tg.KeyboardButton{Text: "Hello"}}}}}}
	if text, _ := s.messageText(m); text != "Say" {
		t.Errorf("text %q: a reply keyboard added something", text)
	}
}

// A poll a bot sent with an inline keyboard keeps its buttons line when
// its votes correct it, as the message first showed it, after a restart
// too (the polls kept in the login's folder); an edit that changes only
// the keyboard corrects that message (in bot mode botmode's
// TestPollUpdateKeepsButtons). The corrections had the poll and caption
// alone, the buttons gone.
func TestPollUpdateKeepsButtons(t *testing.T) {
	s, _ := unitSession(t)
	poll := tg.MessageMediaPoll{Poll: tg.Poll{ID: 61, Question: tg.TextWithEntities{Text: "Lunch?"},
		Answers: []tg.PollAnswerClass{
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Pizza"}, Option: []byte{0}},
			&tg.PollAnswer{Text: tg.TextWithEntities{Text: "Sushi"}, Option: []byte{1}}}}}
	kb := func(label string) *tg.ReplyInlineMarkup {
		return &tg.ReplyInlineMarkup{Rows: []tg.KeyboardButtonRow{{Buttons: []tg.KeyboardButtonClass{&tg.KeyboardButtonCallback{Text: label}}}}}
	}
	md := poll
	m := &tg.Message{ID: 7, Media: &md, ReplyMarkup: kb("Results")}
	snd := &pb.Sender{UserId: "1002"}
	shown, _ := s.messageText(m)
	s.rememberPoll("1002", m, snd)

	votes := func(pizza int) *tg.UpdateMessagePoll {
		u := &tg.UpdateMessagePoll{PollID: 61, Results: tg.PollResults{TotalVoters: pizza,
			Results: []tg.PollAnswerVoters{{Option: []byte{0}, Voters: pizza}, {Option: []byte{1}}}}}
		u.Results.SetFlags()
		return u
	}
	want := "Poll: Lunch?\n1. Pizza: 1 vote\n2. Sushi: 0 votes\n(vote with a reply: /vote 1, or in Telegram)\nButtons: Results (press them in Telegram)"
	evs := s.pollEvents(ctxT(t), votes(1))
	if !strings.HasSuffix(shown, "\nButtons: Results (press them in Telegram)") {
		t.Fatalf("the poll shown as %q: want its buttons line", shown)
	}
	if len(evs) != 1 || evs[0].GetEdit().GetText() != want {
		t.Fatalf("the vote's correction %v, want %q", evs, want)
	}

	// After a restart: the buttons line kept with the poll.
	s.polls = pollCache{}
	s.polls.load(s.login.Dir, slog.New(slog.DiscardHandler))
	evs = s.pollEvents(ctxT(t), votes(2))
	if len(evs) != 1 || !strings.HasSuffix(evs[0].GetEdit().GetText(), "\nButtons: Results (press them in Telegram)") {
		t.Fatalf("the vote's correction after a restart %v: want the buttons line", evs)
	}

	// The keyboard alone edited: that message corrected, with the new line.
	md2 := poll
	md2.Results = votes(2).Results
	evs = s.pollEditEvents("1002", &tg.Message{ID: 7, Media: &md2, ReplyMarkup: kb("More")}, &md2, snd)
	if len(evs) != 1 || !strings.HasSuffix(evs[0].GetEdit().GetText(), "\nButtons: More (press them in Telegram)") {
		t.Errorf("the keyboard's edit %v: want a correction with the new buttons", evs)
	}
}
