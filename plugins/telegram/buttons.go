package telegram

import (
	"strings"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
)

// buttonsText is a bot's inline keyboard as a line after its message
// (XMPP has no buttons): the buttons' labels in order, a link button's
// URL beside its label, and where to press the others; "" for none. A
// custom reply keyboard (the one that replaces the user's own) is left
// out: its buttons only send their label, which the user can type.
func buttonsText(rm tg.ReplyMarkupClass) string {
	kb, ok := rm.(*tg.ReplyInlineMarkup)
	if !ok {
		return ""
	}
	var labels []string
	press := false
	for _, row := range kb.Rows {
		for _, b := range row.Buttons {
			label := strings.TrimSpace(b.GetText())
			switch b := b.(type) {
			case *tg.KeyboardButtonURL:
				label = mediatext.WithURL(label, b.URL)
			case *tg.KeyboardButtonURLAuth:
				label, press = mediatext.WithURL(label, b.URL), true // opened logged in, from Telegram
			default:
				press = true
			}
			if label != "" {
				labels = append(labels, label)
			}
		}
	}
	return mediatext.ButtonsText(labels, press, inApp)
}
