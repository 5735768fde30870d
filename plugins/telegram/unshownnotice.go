package telegram

import (
	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/telegram/svctext"
)

// A service message of a kind the plugin has no line for (one newer than
// it, or one it never learnt: a checklist's tasks ticked, content
// protection turned on, a bot allowed to write) was dropped with no
// word, though Telegram's apps show it in the chat. It is now a line
// saying so, from whoever made it; the kinds below that it shows in
// another way (a join, a pin, a new topic: updates.go, pin.go) or drops
// on purpose, as they change nothing read in the chat (a theme, a
// wallpaper, a history cleared), stay as they were.

// unshownNoticeText is the line of a service message that no other
// notice shows; ok false for the kinds handled elsewhere or dropped on
// purpose.
func unshownNoticeText(a tg.MessageActionClass, out bool) (text string, ok bool) {
	switch a := a.(type) {
	case nil, *tg.MessageActionEmpty,
		// Nothing read in the chat changes.
		*tg.MessageActionHistoryClear, *tg.MessageActionSetChatTheme, *tg.MessageActionSetChatWallPaper,
		// Shown as member events, room changes or pins (updates.go,
		// topics.go, pin.go), or as lines that decide themselves
		// when to say nothing (noticeTextOf).
		*tg.MessageActionChatCreate, *tg.MessageActionChannelCreate,
		*tg.MessageActionChatAddUser, *tg.MessageActionChatDeleteUser,
		*tg.MessageActionChatJoinedByLink, *tg.MessageActionChatJoinedByRequest,
		*tg.MessageActionChatMigrateTo, *tg.MessageActionChannelMigrateFrom,
		*tg.MessageActionTopicCreate, *tg.MessageActionTopicEdit, *tg.MessageActionPinMessage,
		*tg.MessageActionCustomAction, *tg.MessageActionPaidMessagesPrice, *tg.MessageActionInviteToGroupCall:
		return "", false
	case *tg.MessageActionNoForwardsToggle:
		return svctext.ContentProtection(a.NewValue, out), true
	case *tg.MessageActionBotAllowed:
		return svctext.BotAllowed(a.Domain), true
	}
	return mediatext.UnshownText("A notice", inApp), true
}
