package botmode

import (
	"testing"

	"github.com/go-telegram/bot/models"
)

// Underline reads as plain text, its words kept, as in user-account mode
// (the contract and XEP-0393 have none): not as italic.
func TestUnderlineAsText(t *testing.T) {
	text := "some underlined and italic words"
	spans := spansOf(text, []models.MessageEntity{
		{Type: models.MessageEntityTypeUnderline, Offset: 5, Length: 10},
		{Type: models.MessageEntityTypeItalic, Offset: 20, Length: 6},
	}, nil)
	if len(spans) != 1 || spans[0].Start != 20 || spans[0].End != 26 {
		t.Fatalf("spans %v: want only the italic one, 20..26", spans)
	}
}
