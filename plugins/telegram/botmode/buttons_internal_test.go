package botmode

import (
	"testing"

	"github.com/go-telegram/bot/models"
)

// An inline keyboard (on a message sent through an inline bot) shows
// after its message as in user-account mode: a line of the buttons'
// labels, a link button's URL beside its label, where to press the
// others; the text's formatting stays where it was.
func TestInlineButtonsAsText(t *testing.T) {
	s := &Session{}
	m := &models.Message{Chat: models.Chat{ID: 1}, Text: "Pick one",
		Entities: []models.MessageEntity{{Type: models.MessageEntityTypeBold, Offset: 0, Length: 4}},
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
			{{Text: "Yes", CallbackData: "y"}, {Text: "No", CallbackData: "n"}},
			{{Text: "Docs", URL: "https://example.org/docs"}},
		}}}
	text, spans := s.messageText(m)
	want := "Pick one\nButtons: Yes / No / Docs (https://example.org/docs) (press them in Telegram)"
	if text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	if len(spans) != 1 || spans[0].Start != 0 || spans[0].End != 4 {
		t.Errorf("spans %v: want bold 0..4", spans)
	}
	m.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Site", URL: "https://example.org"}}}}
	if text, _ := s.messageText(m); text != "Pick one\nButtons: Site (https://example.org)" {
		t.Errorf("text %q: want the link button alone", text)
	}
}
