package botmode

import (
	"strings"

	"github.com/go-telegram/bot/models"
)

// buttonsText is an inline keyboard as a line after its message (XMPP
// has no buttons), in user-account mode's words: the buttons' labels in
// order, a link button's URL beside its label (the Bot API gives a
// login button as one), and where to press the others; "" for none.
// The bot sees one on a message sent through an inline bot.
func buttonsText(kb *models.InlineKeyboardMarkup) string {
	if kb == nil {
		return ""
	}
	var labels []string
	press := false
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			label := strings.TrimSpace(b.Text)
			if b.URL == "" {
				press = true
			} else if label == "" {
				label = b.URL
			} else {
				label += " (" + b.URL + ")"
			}
			if label != "" {
				labels = append(labels, label)
			}
		}
	}
	if len(labels) == 0 {
		return ""
	}
	line := "Buttons: " + strings.Join(labels, " / ")
	if press {
		line += " (press them " + inApp + ")"
	}
	return line
}
