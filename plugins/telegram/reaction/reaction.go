// Package reaction converts emoji reactions between XMPP's form and
// Telegram's, for user accounts and bots alike.
package reaction

import "strings"

// Telegram writes its reactions without the emoji variation selector
// (U+FE0F): "❤", where XMPP clients write the fully qualified "❤️". A
// reaction goes to Telegram without it (with it, Telegram refuses the
// reaction: REACTION_INVALID) and comes back with it where Unicode's
// fully qualified form has it, so that XMPP clients count the user's
// heart and a contact's as one reaction.

// ToTelegram is an XMPP reaction as Telegram writes it.
func ToTelegram(e string) string { return strings.ReplaceAll(e, "\uFE0F", "") }

// qualifiedReactions are Telegram's standard reactions whose fully
// qualified form has a variation selector; the others are the same.
var qualifiedReactions = map[string]string{
	"\u2764":                     "\u2764\uFE0F",                     // red heart
	"\u2764\u200D\U0001F525":     "\u2764\uFE0F\u200D\U0001F525",     // heart on fire
	"\u2603":                     "\u2603\uFE0F",                     // snowman
	"\U0001F54A":                 "\U0001F54A\uFE0F",                 // dove
	"\u270D":                     "\u270D\uFE0F",                     // writing hand
	"\U0001F636\u200D\U0001F32B": "\U0001F636\u200D\U0001F32B\uFE0F", // face in clouds
	"\U0001F937\u200D\u2642":     "\U0001F937\u200D\u2642\uFE0F",     // man shrugging
	"\U0001F937\u200D\u2640":     "\U0001F937\u200D\u2640\uFE0F",     // woman shrugging
}

// ToXMPP is a Telegram reaction as XMPP clients write it.
func ToXMPP(e string) string {
	if q, ok := qualifiedReactions[e]; ok {
		return q
	}
	return e
}
