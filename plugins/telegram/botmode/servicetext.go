package botmode

import (
	"time"

	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/telegram/svctext"
)

// serviceText is the line of a service message that Telegram's apps
// show in the chat and user-account mode shows as a message from
// whoever made it, in the same words: a change of the auto-delete timer,
// a live location's proximity alert, boosts, a giveaway, a gift, a
// payment, a group's new name or picture, a forum topic renamed, closed
// or reopened; "" for any other message. They were dropped. (The Bot API's
// video chats, which user mode shows as group calls, are not in
// go-telegram/bot's Message: they stay unseen.)
func (s *Session) serviceText(m *models.Message) string {
	switch {
	case m.MessageAutoDeleteTimerChanged != nil:
		return mediatext.TimerText(time.Duration(m.MessageAutoDeleteTimerChanged.MessageAutoDeleteTime) * time.Second)
	case m.ProximityAlertTriggered != nil:
		a := m.ProximityAlertTriggered
		return svctext.Proximity(s.noticeName(&a.Traveler), s.noticeName(&a.Watcher), a.Traveler.ID == s.identity().ID, a.Distance)
	case m.BoostAdded != nil:
		return svctext.Boosted(m.BoostAdded.BoostCount)
	case m.GiveawayCreated != nil:
		return mediatext.UnshownText("A giveaway", inApp)
	case m.GiveawayCompleted != nil:
		return mediatext.UnshownText("A giveaway's results", inApp)
	case m.Gift != nil, m.UniqueGift != nil:
		return svctext.Gift
	case m.SuccessfulPayment != nil:
		return mediatext.PaymentText("", inApp)
	case m.NewChatTitle != "":
		return svctext.Renamed(kindOf(&m.Chat), m.NewChatTitle, s.mine(m))
	case len(m.NewChatPhoto) > 0, m.DeleteChatPhoto:
		return svctext.PhotoChanged(kindOf(&m.Chat), m.DeleteChatPhoto, s.mine(m))
	case m.ForumTopicClosed != nil, m.ForumTopicReopened != nil:
		return svctext.TopicClosed(m.ForumTopicClosed != nil, s.mine(m))
	case m.ForumTopicEdited != nil && m.ForumTopicEdited.Name != "":
		return svctext.TopicRenamed(m.ForumTopicEdited.Name, s.mine(m))
	}
	return ""
}

// kindOf is how a notice calls a chat: a channel or a group.
func kindOf(c *models.Chat) string {
	if c.Type == models.ChatTypeChannel {
		return "channel"
	}
	return "group"
}

// mine reports whether the bot made a service message.
func (s *Session) mine(m *models.Message) bool {
	return m.SenderChat == nil && m.From != nil && m.From.ID == s.identity().ID
}

// noticeName is how a notice names a user: "you" for the bot (the
// user's own account here), else their name.
func (s *Session) noticeName(u *models.User) string {
	if u.ID == s.identity().ID {
		return "you"
	}
	return userName(u)
}
