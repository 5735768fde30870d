package botmode

import (
	"strings"

	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
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
			label := mediatext.WithURL(strings.TrimSpace(b.Text), b.URL)
			if b.URL == "" {
				press = true
			}
			if label != "" {
				labels = append(labels, label)
			}
		}
	}
	return mediatext.ButtonsText(labels, press, inApp)
}
