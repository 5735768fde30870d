package botmode

import "github.com/go-telegram/bot/models"

// A message of a kind bot mode has no words for (a field the Bot API
// added after go-telegram/bot, which its Message leaves out, such as a
// video chat started; or one bot mode never learnt: a checklist's tasks
// done, a bot allowed to write, a chat shared) was dropped with no word,
// though Telegram's apps show it. It is now a notice that the gateway
// cannot show it, as user-account mode says one (unshownnotice.go
// there).

// silentService reports whether a message that carries no text, no
// file and nothing else shown is a service message bot mode shows in
// another way (a member's join, a pin, a new topic: events.go,
// topics.go) or leaves out on purpose, as it changes nothing read in
// the chat (a background set, a topic's new icon).
func silentService(m *models.Message) bool {
	return len(m.NewChatMembers) > 0 || m.LeftChatMember != nil ||
		m.GroupChatCreated || m.SupergroupChatCreated || m.ChannelChatCreated ||
		m.MigrateToChatID != 0 || m.MigrateFromChatID != 0 || m.PinnedMessage != nil ||
		m.ForumTopicCreated != nil || m.ForumTopicEdited != nil || m.ForumTopicClosed != nil || m.ForumTopicReopened != nil ||
		m.GeneralForumTopicHidden != nil || m.GeneralForumTopicUnhidden != nil ||
		m.ChatBackgroundSet != nil || m.NewChatTitle != "" || len(m.NewChatPhoto) > 0 || m.DeleteChatPhoto
}
