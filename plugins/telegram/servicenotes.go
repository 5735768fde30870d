package telegram

import "github.com/gotd/td/tg"

// Service messages that change nothing the gateway keeps but that
// Telegram's apps show in the chat, as a line from whoever made them:
// a contact who joined Telegram (the message that opens a new private
// chat), a screenshot taken of a private chat, a gift. They were
// dropped, a new contact's chat coming empty.

// serviceNoticeText is the text of such a service message (out: the
// user's own); ok false for any other.
func serviceNoticeText(a tg.MessageActionClass, out bool) (text string, ok bool) {
	switch a.(type) {
	case *tg.MessageActionContactSignUp:
		return "Joined Telegram", true
	case *tg.MessageActionScreenshotTaken:
		if out {
			return "You took a screenshot of this chat", true
		}
		return "Took a screenshot of this chat", true
	case *tg.MessageActionGiftPremium, *tg.MessageActionGiftCode, *tg.MessageActionGiftStars,
		*tg.MessageActionGiftTon, *tg.MessageActionStarGift, *tg.MessageActionStarGiftUnique,
		*tg.MessageActionPrizeStars:
		return "🎁 A gift the gateway cannot show: see it in Telegram.", true
	}
	return "", false
}
