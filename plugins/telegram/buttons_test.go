package telegram

import (
	"testing"

	"github.com/gotd/td/tg"
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
